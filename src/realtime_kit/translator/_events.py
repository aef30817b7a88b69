"""What a :class:`~realtime_kit.Translator` hands out: the typed events, the aligned segments,
the finished :class:`Translation`, and subtitle cues for either side or both.

Every time is in seconds on the *input timeline*: from the start of the audio the translator
sent (your audio, plus any silence it padded in and reported), continuous across reconnects —
except ``audio_start``/``audio_end``, which are positions in one language's translated audio
stream (what :meth:`~realtime_kit.Translator.audio` yields).

Pure data: imports the standard library, ``cost`` (for :class:`~realtime_kit.cost.BudgetEvent`),
``protocol`` (for :class:`~realtime_kit.protocol.LostState`) and the transcriber's subtitle
formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

from realtime_kit.cost import BudgetEvent
from realtime_kit.errors import ConfigurationError
from realtime_kit.protocol import LostState
from realtime_kit.transcriber import format_srt, format_vtt
from realtime_kit.transcriber._captions import join_texts

__all__ = [
    "BudgetNotice",
    "InputPadded",
    "LanguageFailed",
    "ServerError",
    "SourceFinal",
    "SourcePartial",
    "SourceSentence",
    "SubtitleCue",
    "TargetFinal",
    "TargetPartial",
    "Translation",
    "TranslationRestored",
    "TranslationSegment",
    "TranslationStopped",
    "TranslatorEvent",
]

Side: TypeAlias = Literal["target", "source", "both"]
Timeline: TypeAlias = Literal["input", "audio"]


@dataclass(frozen=True, slots=True)
class SubtitleCue:
    """One subtitle cue: seconds and text (what the SRT / WebVTT writers take)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class SourceSentence:
    """A final sentence of the source-language transcript.

    ``start``/``end`` say where its speech is on the input timeline: the client-side voice
    detector's speech runs, matched to the sentence by the ``elapsed_ms`` of its transcript
    (which lags the speech); ``heard`` is that last ``elapsed_ms`` (seconds).
    """

    index: int
    text: str
    start: float
    end: float
    heard: float
    interrupted: bool = False
    """Cut short by a reconnect: the rest of it, if any, came from the next session."""


@dataclass(frozen=True, slots=True)
class TranslationSegment:
    """One translated sentence, aligned with the source sentences it translates.

    Attributes:
        index: position in this language's spoken order, from 0.
        language: the target language.
        text: the translated text.
        source: the source sentences it translates (empty without a source transcript).
        target_start, target_end: where on the input timeline the translation was produced
            (from its ``elapsed_ms``; it lags the speech it translates).
        audio_start, audio_end: its span in this language's translated audio stream.
        interrupted: cut short by a reconnect (the rest of the sentence, if any, is the next
            segment, from the next session).
    """

    index: int
    language: str
    text: str
    target_start: float
    target_end: float
    audio_start: float
    audio_end: float
    source: tuple[SourceSentence, ...] = ()
    interrupted: bool = False

    @property
    def source_text(self) -> str | None:
        """The source sentences' text joined, or None without a source transcript."""
        return join_texts(s.text for s in self.source) if self.source else None

    @property
    def start(self) -> float:
        """Where its source speech starts (with a source transcript), else ``target_start``."""
        return self.source[0].start if self.source else self.target_start

    @property
    def end(self) -> float:
        """Where its source speech ends (with a source transcript), else ``target_end``."""
        return self.source[-1].end if self.source else self.target_end

    @property
    def audio_duration(self) -> float:
        return self.audio_end - self.audio_start

    def cue(self, side: Side = "target", timeline: Timeline = "input") -> SubtitleCue:
        """This segment as a subtitle cue.

        ``side``: the translation, the source text, or ``"both"`` (source line, then the
        translation). ``timeline``: ``"input"`` places it where the source speech is (for the
        original audio or video), ``"audio"`` where it is heard in the translated audio stream.
        """
        if side == "target":
            text = self.text
        elif side == "source":
            text = self.source_text or ""
        elif side == "both":
            text = f"{self.source_text}\n{self.text}" if self.source_text else self.text
        else:
            raise ConfigurationError(f"side must be 'target', 'source' or 'both', not {side!r}")
        if timeline == "input":
            return SubtitleCue(self.start, self.end, text)
        if timeline == "audio":
            return SubtitleCue(self.audio_start, self.audio_end, text)
        raise ConfigurationError(f"timeline must be 'input' or 'audio', not {timeline!r}")


# -- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourcePartial:
    """The source sentence being heard: ``text`` is all of it so far."""

    text: str
    delta: str
    heard: float
    """The ``elapsed_ms`` of this delta on the input timeline (seconds)."""


@dataclass(frozen=True, slots=True)
class SourceFinal:
    """A source sentence is final (in spoken order)."""

    sentence: SourceSentence

    @property
    def text(self) -> str:
        return self.sentence.text


@dataclass(frozen=True, slots=True)
class TargetPartial:
    """The translated sentence being spoken in ``language``: ``text`` is all of it so far."""

    language: str
    text: str
    delta: str
    start: float
    """Where on the input timeline this sentence's translation began (seconds)."""


@dataclass(frozen=True, slots=True)
class TargetFinal:
    """A translated sentence is final, with its source sentences and its audio span."""

    segment: TranslationSegment

    @property
    def language(self) -> str:
        return self.segment.language

    @property
    def text(self) -> str:
        return self.segment.text


@dataclass(frozen=True, slots=True)
class TranslationRestored:
    """``language``'s connection dropped (or rolled over) and a new session took over.

    Attributes:
        cause: ``"reconnect"`` after a drop, ``"rollover"`` before the 60-minute cap.
        attempts: connection attempts it took.
        replayed_ms: input audio sent again to the new session (billed again).
        offset: where the new session's ``elapsed_ms == 0`` lies on the input timeline (s).
        lost: what may be missing, each with the reason (empty when nothing is).
        interrupted: whether a sentence was cut (its segment has ``interrupted=True``).
        close_code: how the old connection ended (reconnects).
    """

    language: str
    cause: Literal["reconnect", "rollover"]
    attempts: int
    replayed_ms: float
    offset: float
    lost: tuple[LostState, ...] = ()
    interrupted: bool = False
    close_code: int | None = None


@dataclass(frozen=True, slots=True)
class InputPadded:
    """The translator sent ``duration_ms`` of silence at ``start`` (input timeline, seconds).

    ``reason``: ``"stall"`` — your source fell behind real time, and the engine needs
    continuous audio; ``"end"`` — the last engine frame (200 ms) was completed at the end.
    """

    start: float
    duration_ms: float
    reason: Literal["stall", "end"]


@dataclass(frozen=True, slots=True)
class ServerError:
    """An ``error`` event the session survived (the server refused one of our events)."""

    language: str
    code: str | None
    message: str
    param: str | None = None


@dataclass(frozen=True, slots=True)
class LanguageFailed:
    """``language`` ended for good; the other languages go on (unless ``fail_fast``)."""

    language: str
    error: BaseException
    message: str


@dataclass(frozen=True, slots=True)
class BudgetNotice:
    """A budget threshold was crossed (``warn``, ``wrap_up``, then ``hard_stop``)."""

    event: BudgetEvent


@dataclass(frozen=True, slots=True)
class TranslationStopped:
    """The translator stopped before the end of its input (the last event it hands out)."""

    reason: Literal["budget"]
    spent_usd: Decimal | None = None


TranslatorEvent = (
    SourcePartial
    | SourceFinal
    | TargetPartial
    | TargetFinal
    | TranslationRestored
    | InputPadded
    | ServerError
    | LanguageFailed
    | BudgetNotice
    | TranslationStopped
)
"""Everything a translator's event stream yields."""


# -- the result -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Translation:
    """The result of a run: per-language segments, the source sentences and the bill.

    Attributes:
        languages: the target languages, in the order asked for.
        segments: final segments per language, in spoken order.
        source: the source sentences (empty without ``source_transcript=True``).
        model: the translation model.
        cost_usd: the exact cost of all languages (None while a model has no price card).
        cost_by_language: the same, per language.
        input_seconds: seconds of input audio sent (your audio plus padding).
        padded_ms: silence the translator added (stalls and the last frame).
        restores, failures: reconnects and languages that ended early.
        stopped: set when a budget stopped the run.
    """

    languages: tuple[str, ...]
    segments: dict[str, tuple[TranslationSegment, ...]]
    source: tuple[SourceSentence, ...] = ()
    model: str = "gpt-realtime-translate"
    cost_usd: Decimal | None = None
    cost_by_language: dict[str, Decimal | None] = field(default_factory=dict)
    input_seconds: float = 0.0
    padded_ms: float = 0.0
    restores: tuple[TranslationRestored, ...] = ()
    failures: tuple[LanguageFailed, ...] = ()
    stopped: TranslationStopped | None = None

    def _language(self, language: str | None) -> str:
        if language is None:
            return self.languages[0]
        if language not in self.segments:
            raise ConfigurationError(
                f"no translation into {language!r}; this run has {', '.join(self.languages)}"
            )
        return language

    def text(self, language: str | None = None) -> str:
        """The whole translation into ``language`` (default: the first)."""
        return join_texts(s.text for s in self.segments[self._language(language)])

    @property
    def source_text(self) -> str:
        """The whole source transcript (empty without ``source_transcript=True``)."""
        return join_texts(s.text for s in self.source)

    def cues(
        self, language: str | None = None, *, side: Side = "target", timeline: Timeline = "input"
    ) -> list[SubtitleCue]:
        """Subtitle cues for one side (or both) of ``language``'s segments.

        ``side="source"`` gives one cue per source sentence (its own times), whatever the
        language; the others one per segment.
        """
        if side == "source":
            if timeline != "input":
                raise ConfigurationError("source cues live on the input timeline only")
            return [SubtitleCue(s.start, s.end, s.text) for s in self.source]
        return [s.cue(side, timeline) for s in self.segments[self._language(language)]]

    def to_srt(
        self, language: str | None = None, *, side: Side = "target", timeline: Timeline = "input"
    ) -> str:
        return format_srt(self.cues(language, side=side, timeline=timeline))

    def to_vtt(
        self, language: str | None = None, *, side: Side = "target", timeline: Timeline = "input"
    ) -> str:
        return format_vtt(self.cues(language, side=side, timeline=timeline))
