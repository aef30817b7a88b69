"""Speech in and out for the fake server: synthesizers and recognizers.

Speech out is really synthesized from the assistant's text, so audio durations, truncation points
and transcripts line up the way they do against the real service:

* :class:`EspeakSynthesizer` drives ``libespeak-ng`` from the ``espeakng-loader`` wheel over ctypes
  (22,050 Hz, resampled to 24 kHz);
* :class:`ToneSynthesizer` is the deterministic fallback: a formant-like tone per syllable-ish chunk
  of text (about 60 ms per character), with no native code at all.

Speech in goes through a :class:`Recognizer`. :class:`ScriptedRecognizer` (the default) returns
scripted text, and also recognizes exactly any clip made by :meth:`SpeechBank.speak` — so a test can
"say" a sentence and get the same sentence back as the transcript.

Imports: numpy, soxr (through ``_audio``), ctypes, the standard library; ``espeakng_loader`` lazily.
"""

from __future__ import annotations

import ctypes
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from realtime_kit.audio._fingerprints import FINGERPRINT_BYTES, ClipIndex, is_silent
from realtime_kit.testing._audio import API_RATE, resample, tone

__all__ = [
    "EspeakSynthesizer",
    "Recognizer",
    "ScriptedRecognizer",
    "SpeechBank",
    "Synthesizer",
    "ToneSynthesizer",
    "default_synthesizer",
]


class Synthesizer(Protocol):
    """Turns text into PCM16 mono 24 kHz bytes."""

    def synthesize(
        self, text: str, *, voice: str = "alloy", language: str = "en", speed: float = 1.0
    ) -> bytes:
        """Speak ``text``; ``language`` is ISO-639-1 (translation output), ``speed`` 0.25…1.5."""
        ...


class Recognizer(Protocol):
    """Turns committed PCM16 mono 24 kHz audio into text ("" for no speech).

    A recognizer may also offer ``peek(audio) -> str``: the same answer without using anything up
    (a scripted line stays queued). Semantic VAD uses it at each pause to judge whether the words so
    far sound finished; without it, every pause counts as finished.
    """

    def recognize(self, audio: bytes) -> str:
        """The transcript of ``audio``."""
        ...


class ToneSynthesizer:
    """Deterministic stand-in speech: one short tone per word, pitch from the word's letters.

    About 60 ms per character plus 80 ms between words — roughly the pace of real speech, so
    durations scale with the text the way a voice's do.
    """

    def synthesize(
        self, text: str, *, voice: str = "alloy", language: str = "en", speed: float = 1.0
    ) -> bytes:
        parts: list[bytes] = []
        for word in text.split():
            freq = 180.0 + (sum(map(ord, word)) % 17) * 15.0
            parts.append(tone(60.0 * len(word) / speed, freq=freq, amplitude=0.25))
            parts.append(bytes(int(API_RATE * 0.08 / speed) * 2))
        return b"".join(parts)

    def __repr__(self) -> str:
        return "ToneSynthesizer()"


# espeak-ng C API constants (speak_lib.h).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class EspeakSynthesizer:
    """Real offline speech from ``libespeak-ng`` (the ``espeakng-loader`` wheel), via ctypes.

    The library keeps global state, so one lock serialises every call; results are cached per
    (text, language, speed) because tests repeat the same sentences.

    Raises:
        OSError: when the library cannot be loaded or initialised (see :func:`default_synthesizer`
            for the fallback).
    """

    _lock = threading.Lock()
    _lib: ctypes.CDLL | None = None
    _rate = 22_050

    def __init__(self, *, words_per_minute: int = 175) -> None:
        self.words_per_minute = words_per_minute
        self._cache: dict[tuple[str, str, float], bytes] = {}
        self._chunks: list[bytes] = []
        # Keep the callback object alive for as long as the library may call it.
        self._callback = _SYNTH_CALLBACK(self._on_samples)
        with self._lock:
            self._ensure_loaded()

    @classmethod
    def _ensure_loaded(cls) -> ctypes.CDLL:
        if cls._lib is not None:
            return cls._lib
        import espeakng_loader  # the `testing` extra

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed ({rate})")
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        cls._rate = rate
        cls._lib = lib
        return lib

    def _on_samples(self, wav: ctypes._Pointer[ctypes.c_short], n: int, _events: object) -> int:
        if n > 0 and wav:
            self._chunks.append(ctypes.string_at(wav, n * 2))
        return 0

    def synthesize(
        self, text: str, *, voice: str = "alloy", language: str = "en", speed: float = 1.0
    ) -> bytes:
        key = (text, language, speed)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        with self._lock:
            lib = self._ensure_loaded()
            self._chunks = []
            lib.espeak_SetSynthCallback(self._callback)
            voice_name = "en-us" if language == "en" else language
            if lib.espeak_SetVoiceByName(voice_name.encode()) != 0:
                lib.espeak_SetVoiceByName(b"en-us")
            lib.espeak_SetParameter(_ESPEAK_RATE, round(self.words_per_minute * speed), 0)
            data = text.encode("utf-8") + b"\0"
            buf = ctypes.create_string_buffer(data)
            lib.espeak_Synth(buf, len(data), 0, 0, 0, _ESPEAK_CHARS_UTF8, None, None)
            lib.espeak_Synchronize()
            raw = b"".join(self._chunks)
            self._chunks = []
        samples = np.frombuffer(raw, dtype="<i2")
        pcm = resample(samples, self._rate, API_RATE).astype("<i2").tobytes()
        self._cache[key] = pcm
        return pcm

    def __repr__(self) -> str:
        return f"EspeakSynthesizer(words_per_minute={self.words_per_minute})"


_DEFAULT: list[Synthesizer] = []


def default_synthesizer() -> Synthesizer:
    """espeak-ng when its wheel loads here, else the deterministic :class:`ToneSynthesizer`.

    One instance per process, so every server shares its cache of spoken sentences.
    """
    if not _DEFAULT:
        try:
            _DEFAULT.append(EspeakSynthesizer())
        except (ImportError, OSError):
            _DEFAULT.append(ToneSynthesizer())
    return _DEFAULT[0]


@dataclass
class SpeechBank:
    """Clips this process synthesized, so recognition of them is exact.

    ``speak(text)`` returns PCM16 24 kHz bytes of ``text`` and remembers a fingerprint (its
    loudest 20 ms); a :class:`ScriptedRecognizer` holding the same bank turns audio that
    contains the clip back into ``text``, however the client chunks it.
    """

    synthesizer: Synthesizer = field(default_factory=default_synthesizer)
    _clips: ClipIndex = field(default_factory=ClipIndex)

    def speak(self, text: str, *, language: str = "en") -> bytes:
        pcm = self.synthesizer.synthesize(text, language=language)
        if len(pcm) < 3 * FINGERPRINT_BYTES:
            raise ValueError(f"clip for {text!r} is too short to fingerprint ({len(pcm)} bytes)")
        self._clips.add(text, pcm)
        return pcm

    def find(self, audio: bytes) -> list[str]:
        """Texts of the known clips inside ``audio``, in the order they occur."""
        return self._clips.find(audio)


class ScriptedRecognizer:
    """The default recognizer: known clips first, then scripted lines, then a fixed default.

    For each committed turn: if the audio contains clips from ``bank``, their texts; else, if the
    audio is silence, ``""``; else the next of ``script`` (consumed in order); else ``default``.

    Args:
        script: transcripts handed out one per turn, in order.
        default: the transcript once the script is used up.
        bank: clips to recognise exactly (shared with the server's ``speak`` helper).
        func: instead of all of the above, a function of the audio.
    """

    def __init__(
        self,
        script: Iterable[str] = (),
        *,
        default: str = "Hello.",
        bank: SpeechBank | None = None,
        func: Callable[[bytes], str] | None = None,
    ) -> None:
        self._script: deque[str] = deque(script)
        self.default = default
        self.bank = bank
        self._func = func
        self._lock = threading.Lock()

    def add(self, *texts: str) -> None:
        """Queue more scripted transcripts."""
        with self._lock:
            self._script.extend(texts)

    def recognize(self, audio: bytes) -> str:
        return self._answer(audio, consume=True)

    def peek(self, audio: bytes) -> str:
        """What :meth:`recognize` would answer now, without using up a scripted line."""
        return self._answer(audio, consume=False)

    def _answer(self, audio: bytes, *, consume: bool) -> str:
        if self._func is not None:
            return self._func(audio)
        if self.bank is not None:
            known = self.bank.find(audio)
            if known:
                return " ".join(known)
        if is_silent(audio):
            return ""
        with self._lock:
            if self._script:
                return self._script.popleft() if consume else self._script[0]
        return self.default

    def __repr__(self) -> str:
        return f"ScriptedRecognizer(pending={len(self._script)}, default={self.default!r})"
