"""The input pump: reads the caller's audio, converts it to the wire format, runs the client-side
VAD and writes audio and the commit plan into the :class:`~._input.Ledger`.

Imports: numpy, the standard library, :mod:`realtime_kit.audio` and sibling modules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import numpy as np

from realtime_kit.audio import PCMFrame
from realtime_kit.audio.g711 import encode_alaw, encode_ulaw
from realtime_kit.transcriber._input import Action, AudioChunk, InputFormat, Ledger, Normalizer
from realtime_kit.transcriber._vad import EnergyVad, VadSettings

__all__ = ["InputPump", "silence"]

_MIN_COMMIT_MS = 100
_IDLE_CLEAR_MS = 5_000  # uncommitted silence longer than this is cleared, not billed


def silence(fmt: InputFormat, nbytes: int) -> bytes:
    """``nbytes`` of digital silence in the wire format."""
    if fmt == "pcm16":
        return bytes(nbytes - nbytes % 2)
    zeros = np.zeros(nbytes, dtype=np.int16)
    return encode_ulaw(zeros) if fmt == "pcmu" else encode_alaw(zeros)


class InputPump:
    """Fills the ledger from an audio source.

    With client commits, each turn the VAD ends becomes a ``commit`` action right after its
    pause, and long silence a ``clear``. With server VAD the VAD only reports onsets (to settle
    ambiguous server starts), and the end of the input gets a little silence and a ``sync``
    commit so the server closes and confirms the last turn.
    """

    def __init__(
        self,
        ledger: Ledger,
        settings: VadSettings,
        *,
        client_commits: bool,
        input_format: InputFormat,
        on_onset: Callable[[float], None],
        wake: Callable[[], None],
        tail_ms: Callable[[], float],
    ) -> None:
        self.ledger = ledger
        self.client_commits = client_commits
        self.input_format: InputFormat = input_format
        self.input_ms = 0.0
        self._vad = EnergyVad(settings)
        self._on_onset = on_onset
        self._wake = wake
        self._tail_ms = tail_ms
        self._planned = 0  # stream position of the last planned commit or clear

    async def run(self, audio: AsyncIterator[AudioChunk], normalizer: Normalizer) -> None:
        """Read ``audio`` to its end, then close the plan (``ledger.done``)."""
        async for chunk in audio:
            self._take(*normalizer.push(chunk))
        self._take(*normalizer.flush())
        ledger = self.ledger
        if self.client_commits:
            turn = self._vad.flush()
            if turn is not None:
                short = ledger.pos(_MIN_COMMIT_MS + 20) - (ledger.end - self._planned)
                if short > 0:  # a commit needs 100 ms: pad the tail with silence
                    ledger.append(silence(self.input_format, short))
                ledger.actions.append(Action(ledger.end, "commit", turn.start_ms, turn.end_ms))
        else:
            ledger.append(silence(self.input_format, ledger.pos(self._tail_ms())))
            ledger.actions.append(Action(ledger.end, "sync"))
        ledger.done = True
        self._wake()

    def _take(self, frame: PCMFrame, wire: bytes) -> None:
        ledger = self.ledger
        vad = self._vad
        self.input_ms += frame.duration_ms
        ledger.append(wire)
        if frame.num_samples and not self.client_commits:
            for turn in vad.push(frame.samples):
                self._on_onset(turn.start_ms)
            if vad.speech_start_ms is not None:
                self._on_onset(vad.speech_start_ms)
        elif frame.num_samples:
            for turn in vad.push(frame.samples):
                ledger.actions.append(Action(ledger.end, "commit", turn.start_ms, turn.end_ms))
                self._planned = ledger.end
            if (
                not vad.in_speech
                and not vad.onset_pending
                and ledger.ms(ledger.end - self._planned) > _IDLE_CLEAR_MS
            ):
                ledger.actions.append(Action(ledger.end, "clear"))
                self._planned = ledger.end
        self._wake()
