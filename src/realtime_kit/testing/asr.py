"""Optional real offline speech recognition for the fake server, with pocketsphinx.

:class:`PocketsphinxRecognizer` runs CMU pocketsphinx (its English model ships in the wheel; install
``pocketsphinx`` yourself — it is not part of the ``testing`` extra). On synthetic speech its
open-vocabulary model is weak, so give it the phrases your test expects: it decodes with a grammar
of those phrases, falls back to the open model, and snaps the result to the closest expected
phrase when the words are similar enough (returning the phrase as written, punctuation included).

Imports: numpy, soxr (through ``_audio``), difflib, re, threading; ``pocketsphinx`` lazily.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

from realtime_kit.errors import MissingExtraError
from realtime_kit.testing._audio import API_RATE, resample

__all__ = ["PocketsphinxRecognizer"]

_RATE = 16_000
_PAD = bytes(int(_RATE * 0.3) * 2)  # 300 ms of silence around each utterance


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


class PocketsphinxRecognizer:
    """A :class:`~realtime_kit.testing.Recognizer` backed by pocketsphinx.

    Args:
        phrases: the sentences the test may say; recognition snaps to these.
        min_similarity: how close (0…1, word-level) a free decode must be to snap to a phrase.

    Raises:
        MissingExtraError: pocketsphinx is not installed.
    """

    def __init__(self, phrases: Iterable[str] = (), *, min_similarity: float = 0.4) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise MissingExtraError("testing", "pocketsphinx") from exc
        self.phrases = [p for p in phrases if _words(p)]
        self.min_similarity = min_similarity
        self._lock = threading.Lock()
        self._free: Any = Decoder(samprate=_RATE, loglevel="FATAL")
        self._grammar: Any = None
        if self.phrases:
            grammar = Decoder(samprate=_RATE, loglevel="FATAL")
            rule = " | ".join("( " + " ".join(_words(p)) + " )" for p in self.phrases)
            grammar.add_jsgf_string(
                "phrases", f"#JSGF V1.0;\ngrammar phrases;\npublic <s> = {rule};\n"
            )
            grammar.activate_search("phrases")
            self._grammar = grammar

    @staticmethod
    def _decode(decoder: Any, pcm16k: bytes) -> str:
        decoder.start_utt()
        decoder.process_raw(pcm16k, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return str(hyp.hypstr) if hyp is not None else ""

    def _closest(self, hypothesis: str) -> tuple[float, str]:
        heard = _words(hypothesis)
        scored = [
            (difflib.SequenceMatcher(None, heard, _words(p)).ratio(), p) for p in self.phrases
        ]
        return max(scored) if scored else (0.0, hypothesis)

    def recognize(self, audio: bytes) -> str:
        samples = np.frombuffer(audio[: len(audio) & ~1], dtype="<i2")
        if samples.size == 0 or int(np.max(np.abs(samples.astype(np.int32)))) < 300:
            return ""
        pcm = _PAD + resample(samples, API_RATE, _RATE).astype("<i2").tobytes() + _PAD
        with self._lock:
            if self._grammar is not None:
                constrained = self._decode(self._grammar, pcm)
                if constrained:
                    return self._closest(constrained)[1]
            free = self._decode(self._free, pcm)
        score, phrase = self._closest(free)
        return phrase if score >= self.min_similarity else free

    def __repr__(self) -> str:
        return f"PocketsphinxRecognizer(phrases={len(self.phrases)})"
