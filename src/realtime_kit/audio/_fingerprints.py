"""Recognizing known clips inside other audio by a short fingerprint (offline speech).

The fake server and the offline CLI both "hear" speech they already know: a sentence the test
synthesized, or a sentence of a WAV file with a transcript sidecar. Each known clip leaves a
20 ms fingerprint, its loudest stretch (a quiet one, a pause between words, would match any
silence in any turn); audio that contains the fingerprint, sample-aligned, contains the clip.

Imports: the standard library and numpy only.
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["FINGERPRINT_BYTES", "ClipIndex", "is_silent", "loudest_fingerprint"]

FINGERPRINT_BYTES = 960  # 20 ms of PCM16 at 24 kHz
SILENCE_PEAK = 300  # peak sample level below which audio counts as silence


def loudest_fingerprint(pcm: bytes, start: int = 0, end: int | None = None) -> bytes:
    """The loudest :data:`FINGERPRINT_BYTES` of ``pcm[start:end]`` (PCM16, byte offsets).

    A span shorter than a fingerprint gives what there is (too short to be found later).
    """
    first = start & ~1
    last = (len(pcm) if end is None else min(end, len(pcm))) & ~1
    if last - first <= FINGERPRINT_BYTES:
        return pcm[first : first + FINGERPRINT_BYTES]
    samples = np.frombuffer(pcm[first:last], dtype="<i2").astype(np.int64)
    width = FINGERPRINT_BYTES // 2
    energy = np.convolve(samples * samples, np.ones(width, dtype=np.int64), mode="valid")
    at = first + 2 * int(np.argmax(energy))
    return pcm[at : at + FINGERPRINT_BYTES]


def is_silent(audio: bytes, *, threshold: int = SILENCE_PEAK) -> bool:
    """Whether no sample of ``audio`` (PCM16) reaches ``threshold``."""
    samples = np.frombuffer(audio[: len(audio) & ~1], dtype="<i2")
    return samples.size == 0 or int(np.max(np.abs(samples.astype(np.int32)))) < threshold


class ClipIndex:
    """Known clips by fingerprint; :meth:`find` lists the texts of those inside some audio.

    Thread-safe: the fake server recognizes on its own thread while a test adds clips.
    """

    def __init__(self) -> None:
        self._prints: list[tuple[bytes, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._prints)

    def add(self, text: str, pcm: bytes, start: int = 0, end: int | None = None) -> None:
        """Remember ``text`` as the clip ``pcm[start:end]`` (PCM16, byte offsets).

        Raises:
            ValueError: the span is too short to hold a fingerprint.
        """
        fingerprint = loudest_fingerprint(pcm, start, end)
        if len(fingerprint) < FINGERPRINT_BYTES:
            raise ValueError(
                f"the clip for {text!r} is too short to fingerprint ({len(fingerprint)} bytes)"
            )
        with self._lock:
            self._prints.append((fingerprint, text))

    def find(self, audio: bytes) -> list[str]:
        """Texts of the known clips inside ``audio``, in the order they occur."""
        with self._lock:
            prints = list(self._prints)
        hits: list[tuple[int, str]] = []
        for fingerprint, text in prints:
            pos = audio.find(fingerprint)
            # Only sample-aligned hits count: a misaligned match is a coincidence of bytes.
            if pos >= 0 and pos % 2 == 0:
                hits.append((pos, text))
        hits.sort()
        return [text for _, text in hits]
