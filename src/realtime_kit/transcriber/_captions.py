"""Caption data: segments, the caption events a :class:`~realtime_kit.Transcriber` hands out, the
finished :class:`Transcript`, and SRT / WebVTT output (whole files or written live, cue by cue).

Pure data and text: imports only the standard library.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, TextIO

__all__ = [
    "Caption",
    "CaptionFailed",
    "Cue",
    "FinalCaption",
    "PartialCaption",
    "Segment",
    "SrtWriter",
    "TokenLogprob",
    "Transcript",
    "TranscriptionRestored",
    "TranscriptionStopped",
    "VttWriter",
    "format_srt",
    "format_timestamp",
    "format_vtt",
]


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    """One token's log-probability, as the server reported it."""

    token: str
    logprob: float
    bytes: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """One final caption: a stretch of speech and its text.

    ``start`` and ``end`` are seconds from the start of *your* input audio (not of the server
    session, which restarts after a reconnect), and say where the speech is, with the server
    VAD's prefix padding and trailing silence taken off.
    """

    index: int
    """Position in spoken order, from 0."""
    item_id: str
    start: float
    end: float
    text: str
    logprobs: tuple[TokenLogprob, ...] | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class PartialCaption:
    """The growing text of an item still being transcribed (``text`` is everything so far)."""

    item_id: str
    text: str
    delta: str
    start: float | None = None
    """Where the speech started (seconds), when already known."""
    logprobs: tuple[TokenLogprob, ...] | None = None


@dataclass(frozen=True, slots=True)
class FinalCaption:
    """A finished segment, handed out in spoken order."""

    segment: Segment

    @property
    def text(self) -> str:
        return self.segment.text


@dataclass(frozen=True, slots=True)
class CaptionFailed:
    """The server could not transcribe one stretch of speech (in spoken order)."""

    item_id: str
    start: float | None
    end: float | None
    code: str | None
    message: str


@dataclass(frozen=True, slots=True)
class TranscriptionRestored:
    """The connection dropped and a new session took over; ``replayed_ms`` of audio was re-sent."""

    attempts: int
    replayed_ms: float
    replayed_items: int
    close_code: int | None


@dataclass(frozen=True, slots=True)
class TranscriptionStopped:
    """The transcriber stopped before the end of its input (the last event it hands out)."""

    reason: Literal["budget"]
    spent_usd: Decimal | None = None


Caption = (
    PartialCaption | FinalCaption | CaptionFailed | TranscriptionRestored | TranscriptionStopped
)
"""Everything a transcriber's caption stream yields."""


@dataclass(frozen=True)
class Transcript:
    """The result of :func:`~realtime_kit.transcribe_file`: final segments in spoken order."""

    segments: tuple[Segment, ...]
    model: str
    failures: tuple[CaptionFailed, ...] = ()
    cost_usd: Decimal | None = None
    """Exact cost of the run, or None when the model has no price card."""
    audio_seconds: float = 0.0
    stopped: TranscriptionStopped | None = None

    @property
    def text(self) -> str:
        """The whole transcript: segment texts joined by spaces."""
        return join_texts(s.text for s in self.segments)

    def to_srt(self) -> str:
        return format_srt(self.segments)

    def to_vtt(self) -> str:
        return format_vtt(self.segments)


def join_texts(texts: Iterable[str]) -> str:
    return " ".join(t.strip() for t in texts if t.strip())


# -- subtitles --------------------------------------------------------------------------------


class Cue(Protocol):
    """What a subtitle cue needs: start and end in seconds, and the text.

    A :class:`Segment` is one; so is a Translator's segment (either side of it).
    """

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def text(self) -> str: ...


def format_timestamp(seconds: float, *, separator: str = ".") -> str:
    """``HH:MM:SS.mmm`` (WebVTT) or, with ``separator=","``, ``HH:MM:SS,mmm`` (SRT)."""
    if seconds < 0:
        raise ValueError(f"a timestamp cannot be negative: {seconds}")
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _cue_text(text: str) -> str:
    # A blank line ends a cue in both formats, so a cue's text may not contain one.
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line) or "…"


def _cue_times(segment: Cue) -> tuple[float, float]:
    start = max(0.0, segment.start)
    # Players drop cues whose end is not after their start.
    return start, max(segment.end, start + 0.001)


def srt_cue(number: int, segment: Cue) -> str:
    start, end = _cue_times(segment)
    return (
        f"{number}\n{format_timestamp(start, separator=',')} --> "
        f"{format_timestamp(end, separator=',')}\n{_cue_text(segment.text)}\n\n"
    )


def vtt_cue(segment: Cue) -> str:
    start, end = _cue_times(segment)
    text = _cue_text(segment.text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"{format_timestamp(start)} --> {format_timestamp(end)}\n{text}\n\n"


VTT_HEADER = "WEBVTT\n\n"


def format_srt(segments: Sequence[Cue]) -> str:
    """A whole SRT file (cues numbered from 1)."""
    return "".join(srt_cue(n, s) for n, s in enumerate(segments, start=1))


def format_vtt(segments: Sequence[Cue]) -> str:
    """A whole WebVTT file."""
    return VTT_HEADER + "".join(vtt_cue(s) for s in segments)


class _LiveWriter(ABC):
    """Writes cues as segments become final, flushing each, so a player can follow the file."""

    def __init__(self, target: str | os.PathLike[str] | TextIO) -> None:
        if isinstance(target, str | os.PathLike):
            self._file: TextIO = Path(target).open("w", encoding="utf-8", newline="\n")  # noqa: SIM115
            self._owned = True
        else:
            self._file = target
            self._owned = False
        self.count = 0
        self._begin()

    def _begin(self) -> None:  # noqa: B027 - most formats have no header
        """Write the file header, if the format has one."""

    @abstractmethod
    def _cue(self, segment: Cue) -> str:
        """The text of the next cue."""

    def write(self, segment: Cue) -> None:
        """Append one cue (a final segment, or anything with ``start``, ``end``, ``text``)."""
        self.count += 1
        self._file.write(self._cue(segment))
        self._file.flush()

    def close(self) -> None:
        if self._owned:
            self._file.close()

    def __enter__(self) -> _LiveWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SrtWriter(_LiveWriter):
    """Live SRT: ``write(segment)`` appends a numbered cue. Takes a path or an open text file."""

    def _cue(self, segment: Cue) -> str:
        return srt_cue(self.count, segment)


class VttWriter(_LiveWriter):
    """Live WebVTT: the header at once, then one cue per ``write(segment)``."""

    def _begin(self) -> None:
        self._file.write(VTT_HEADER)
        self._file.flush()

    def _cue(self, segment: Cue) -> str:
        return vtt_cue(segment)
