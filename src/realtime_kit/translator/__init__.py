"""realtime_kit.translator: live speech translation into one or many languages.

* :class:`Translator` — audio in (any rate; bytes, frames, arrays, a WAV file, a microphone),
  translated audio and typed events out, one session per target language fed from one input,
  cost metered, reconnects and the 60-minute rollover without repeated or missing sentences;
* :func:`translate_file` — a WAV file to a :class:`Translation`;
* :class:`TranslationSegment` — a translated sentence aligned with its source sentences and its
  span of translated audio; SRT / WebVTT of either side or both;
* :class:`LanguageList` — the supported target languages, a dated and sourced data file;
* :class:`TranslationEngine` — the sans-I/O core that finds sentences and aligns them.

Imports: anyio, numpy, the standard library, ``errors``, ``events``, ``audio``, ``cost``,
``protocol``, ``connection``, ``factory``, ``reconnect`` and ``transcriber`` (its normalizer,
VAD and subtitle writers). Never ``testing``.
"""

from __future__ import annotations

from realtime_kit.translator._engine import TranslationEngine, split_sentences
from realtime_kit.translator._events import (
    BudgetNotice,
    InputPadded,
    LanguageFailed,
    ServerError,
    SourceFinal,
    SourcePartial,
    SourceSentence,
    SubtitleCue,
    TargetFinal,
    TargetPartial,
    Translation,
    TranslationRestored,
    TranslationSegment,
    TranslationStopped,
    TranslatorEvent,
)
from realtime_kit.translator._file import translate_file
from realtime_kit.translator._input import PaceClock, SystemClock
from realtime_kit.translator._languages import TRANSLATION_LANGUAGES, Language, LanguageList
from realtime_kit.translator._streams import AudioStream, EventStream
from realtime_kit.translator._translator import Translator

__all__ = [
    "TRANSLATION_LANGUAGES",
    "AudioStream",
    "BudgetNotice",
    "EventStream",
    "InputPadded",
    "Language",
    "LanguageFailed",
    "LanguageList",
    "PaceClock",
    "ServerError",
    "SourceFinal",
    "SourcePartial",
    "SourceSentence",
    "SubtitleCue",
    "SystemClock",
    "TargetFinal",
    "TargetPartial",
    "Translation",
    "TranslationEngine",
    "TranslationRestored",
    "TranslationSegment",
    "TranslationStopped",
    "Translator",
    "TranslatorEvent",
    "split_sentences",
    "translate_file",
]
