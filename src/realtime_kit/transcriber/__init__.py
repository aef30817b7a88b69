"""realtime_kit.transcriber: live, ordered captions from a transcription session.

* :class:`Transcriber` — audio in (any async iterable of frames or bytes, a WAV file, a
  microphone), caption events out, cost metered, lossless reconnects;
* :func:`transcribe_file` — a WAV file to a :class:`Transcript`;
* :class:`CaptionEngine` — the sans-I/O core that orders and times the captions;
* caption types, and SRT / WebVTT output (:class:`SrtWriter`, :class:`VttWriter` write live);
* :class:`EnergyVad` / :class:`VadSettings` — client-side turn segmentation.

Imports: anyio, numpy, ``errors``, ``events``, ``audio``, ``cost``, ``connection``,
``factory``, ``reconnect``. Never ``testing``.
"""

from __future__ import annotations

from realtime_kit.transcriber._captions import (
    Caption,
    CaptionFailed,
    Cue,
    FinalCaption,
    PartialCaption,
    Segment,
    SrtWriter,
    TokenLogprob,
    Transcript,
    TranscriptionRestored,
    TranscriptionStopped,
    VttWriter,
    format_srt,
    format_timestamp,
    format_vtt,
)
from realtime_kit.transcriber._config import CLIENT_COMMIT_MODELS, TRANSCRIPTION_MODELS
from realtime_kit.transcriber._engine import CaptionEngine, CommitSpan
from realtime_kit.transcriber._file import transcribe_file
from realtime_kit.transcriber._input import AudioChunk, InputFormat, microphone_source, wav_source
from realtime_kit.transcriber._transcriber import Transcriber
from realtime_kit.transcriber._vad import EnergyVad, Turn, VadSettings

__all__ = [
    "CLIENT_COMMIT_MODELS",
    "TRANSCRIPTION_MODELS",
    "AudioChunk",
    "Caption",
    "CaptionEngine",
    "CaptionFailed",
    "CommitSpan",
    "Cue",
    "EnergyVad",
    "FinalCaption",
    "InputFormat",
    "PartialCaption",
    "Segment",
    "SrtWriter",
    "TokenLogprob",
    "Transcriber",
    "Transcript",
    "TranscriptionRestored",
    "TranscriptionStopped",
    "Turn",
    "VadSettings",
    "VttWriter",
    "format_srt",
    "format_timestamp",
    "format_vtt",
    "microphone_source",
    "transcribe_file",
    "wav_source",
]
