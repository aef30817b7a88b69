"""Regenerate ``examples/data/sample.wav`` and ``caller.wav``, each with its sidecar ``.json``.

``sample`` is the transcription demo's recording; ``caller`` is the caller of the voice-agent demo
(``realtime-kit talk examples/data/caller.wav --offline``).

Real synthesized speech (espeak-ng from the ``espeakng-loader`` wheel, through the fake server's
synthesizer) of a few sentences separated by pauses, 24 kHz mono PCM16. The sidecar lists each
sentence with where its speech really is in the file (first and last sample above -50 dBFS), so
tests can check caption boundaries and the offline demo's recognizer can hear the real words.

    .venv/bin/python examples/make_sample_wav.py        # needs the `testing` extra
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from realtime_kit.audio import PCMFrame, write_wav
from realtime_kit.testing import EspeakSynthesizer

SENTENCES = (
    "Welcome to realtime kit.",
    "Captions arrive in spoken order.",
    "Every word is timed.",
)
CALLER = (
    "Hello, what is the weather like in Paris today?",
    "Thank you, that is all.",
)
LEAD_MS = 400
PAUSE_MS = 800
TAIL_MS = 400
RATE = 24_000
LEVEL = 32768 * 10 ** (-50 / 20)  # -50 dBFS: quieter than this is not speech


def _speech_extent(pcm: np.ndarray) -> tuple[int, int]:
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > LEVEL)
    return int(loud[0]), int(loud[-1]) + 1


def build(
    out_dir: Path,
    sentences: tuple[str, ...] = SENTENCES,
    name: str = "sample",
    pause_ms: int = PAUSE_MS,
) -> tuple[Path, Path]:
    synth = EspeakSynthesizer()
    pieces = [np.zeros(RATE * LEAD_MS // 1000, dtype=np.int16)]
    spans = []
    position = pieces[0].size
    for i, text in enumerate(sentences):
        clip = np.frombuffer(synth.synthesize(text), dtype="<i2").astype(np.int16)
        first, last = _speech_extent(clip)
        clip = clip[first:last]  # the clip itself, without espeak's own lead-in and tail
        spans.append(
            {
                "text": text,
                "start": round(position / RATE, 3),
                "end": round((position + clip.size) / RATE, 3),
            }
        )
        pieces.append(clip)
        position += clip.size
        gap = pause_ms if i < len(sentences) - 1 else TAIL_MS
        pieces.append(np.zeros(RATE * gap // 1000, dtype=np.int16))
        position += pieces[-1].size
    audio = np.concatenate(pieces)
    wav = out_dir / f"{name}.wav"
    sidecar = out_dir / f"{name}.json"
    write_wav(wav, PCMFrame.from_array(audio, RATE))
    meta = {"rate": RATE, "duration": round(audio.size / RATE, 3), "sentences": spans}
    sidecar.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return wav, sidecar


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data"
    made = (*build(target), *build(target, CALLER, "caller", pause_ms=3000))
    for path in made:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
