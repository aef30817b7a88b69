"""The embedded fake server behind ``realtime-kit transcribe --offline``.

Offline there is no model to listen, so the fake server's recognizer needs to know what is said.
For a WAV file with a sidecar ``<name>.json`` (``{"sentences": [{"text", "start", "end"}]}``,
as ``examples/make_sample_wav.py`` writes for the bundled sample), each sentence is recognized
by a fingerprint of its own audio, so every committed turn is answered with the sentences
really spoken in it, however the audio is cut. Other audio is answered with ``[speech]``.

Imports: the standard library, numpy, :mod:`realtime_kit.audio`, and
:mod:`realtime_kit.testing` (the ``testing`` extra) lazily.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from realtime_kit.audio import API_RATE, Resampler, read_wav
from realtime_kit.audio._fingerprints import ClipIndex, is_silent
from realtime_kit.errors import ConfigurationError, MissingExtraError

__all__ = ["UNKNOWN_SPEECH", "SidecarRecognizer", "offline_server", "sidecar_for"]

UNKNOWN_SPEECH = "[speech]"


def sidecar_for(path: str | os.PathLike[str]) -> Path | None:
    """The transcript sidecar of a WAV file (same name, ``.json``), if there is one."""
    candidate = Path(path).with_suffix(".json")
    return candidate if candidate.is_file() else None


class SidecarRecognizer:
    """Recognizes the sentences of one known WAV file in committed audio (24 kHz PCM16)."""

    def __init__(self, wav: str | os.PathLike[str], sidecar: str | os.PathLike[str]) -> None:
        try:
            meta = json.loads(Path(sidecar).read_text(encoding="utf-8"))
            sentences = [
                (str(s["text"]), float(s["start"]), float(s["end"])) for s in meta["sentences"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"unreadable transcript sidecar {sidecar}: {exc}") from exc
        clip = read_wav(wav).to_mono()
        if clip.rate != API_RATE:
            resampler = Resampler(clip.rate, API_RATE)
            clip = resampler.process(clip)
        pcm = clip.to_bytes()
        self._clips = ClipIndex()
        for text, start, end in sentences:
            try:
                self._clips.add(text, pcm, int(start * API_RATE) * 2, int(end * API_RATE) * 2)
            except ValueError:
                continue  # a sentence shorter than 20 ms: never recognized, as before

    def recognize(self, audio: bytes) -> str:
        hits = self._clips.find(audio)
        if hits:
            return " ".join(hits)
        return "" if is_silent(audio) else UNKNOWN_SPEECH


def offline_server(wav: str | os.PathLike[str] | None, *, instant: bool = False) -> Any:
    """A :class:`~realtime_kit.testing.FakeRealtimeServer` that knows ``wav``'s sentences.

    ``instant``: a fake clock that jumps through paced output (a file is translated in moments
    rather than at speaking pace); its wall clock starts at the real one, so sessions expire an
    hour from now as they should.
    """
    try:
        from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedRecognizer
    except ImportError as exc:
        raise MissingExtraError("testing", exc.name or "realtime_kit.testing") from exc
    sidecar = sidecar_for(wav) if wav is not None else None
    recognizer: Any
    if wav is not None and sidecar is not None:
        recognizer = SidecarRecognizer(wav, sidecar)
    else:
        recognizer = ScriptedRecognizer(default=UNKNOWN_SPEECH)
    if instant:
        clock = FakeClock(wall_start=time.time())
        return FakeRealtimeServer(recognizer=recognizer, clock=clock)
    return FakeRealtimeServer(recognizer=recognizer)
