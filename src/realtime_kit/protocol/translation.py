"""Continuity of a translation session's input audio across reconnects.

A translation session cannot be resumed: after a drop the connection opens a new session whose
``elapsed_ms`` starts again at 0 and which has heard none of the old audio.
:class:`TranslationTimeline` keeps what is needed to continue anyway: a bounded ring of recent
input audio, and how far along the *original* input timeline the server has demonstrably got,
read from the ``elapsed_ms`` of its deltas. At a reconnect, :meth:`TranslationTimeline.reconnect`
returns a :class:`ResumePlan`: the audio to re-send (200 ms appends), what is given up and why,
and the offset that maps the new session's ``elapsed_ms`` back onto the original timeline, so
captions stay aligned.

Positions are kept in bytes of PCM16 24 kHz mono input (48 bytes per ms), so the accounting is
exact. ``elapsed_ms`` is read as the end of the 200 ms engine frame a delta was produced from
(PROTOCOL.md §3.3, §5): the server has consumed that much input. It does not say how much of that
input has been *translated*: output lags input, and an output delta is aligned with the frame
during which it was produced, not with the words it speaks. So the resume point is the highest
stamp seen (less an optional overlap), and what follows the last output stamp is reported as
heard but untranslated. Every resume point lies on the 200 ms frame grid of the original
timeline, so each new session's frames line up with the old ones and every offset is whole ms.

Imports: the standard library, :mod:`realtime_kit.events`, :mod:`realtime_kit.errors` and
``protocol`` siblings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from realtime_kit.errors import AudioError, ConfigurationError
from realtime_kit.events import (
    ServerEvent,
    SessionInputAudioBufferAppendEvent,
    SessionInputTranscriptDeltaEvent,
    SessionOutputAudioDeltaEvent,
    SessionOutputTranscriptDeltaEvent,
)
from realtime_kit.protocol.restore import LostState

__all__ = [
    "BYTES_PER_MS",
    "FRAME_BYTES",
    "FRAME_MS",
    "LossReason",
    "LostAudio",
    "ResumePlan",
    "TranslationTimeline",
]

BYTES_PER_MS: Final = 48  # PCM16, 24 kHz, mono
FRAME_MS: Final = 200  # the translation engine's frame
FRAME_BYTES: Final = FRAME_MS * BYTES_PER_MS  # 9,600

LossReason = Literal["retention", "untranslated"]

_REASONS: Final[dict[str, str]] = {
    "retention": "older than the retention window when the connection dropped; never re-sent",
    "untranslated": "heard by the old session, which ended before any output aligned with it "
    "arrived; its translation may be missing (overlap_ms re-sends such audio)",
}


def _floor_frame(position: int) -> int:
    return position - position % FRAME_BYTES


def _ceil_frame(position: int) -> int:
    return -(-position // FRAME_BYTES) * FRAME_BYTES


@dataclass(frozen=True, slots=True)
class LostAudio:
    """A stretch of input the listener may never hear translated.

    ``start_ms``/``end_ms`` are positions on the original input timeline (whole 200 ms frames).
    ``reason`` is ``"retention"`` (the audio had left the ring, so it was never re-sent) or
    ``"untranslated"`` (the old session heard it, but no output aligned with it had arrived when
    the session ended). The server sends nothing during silence, so such a stretch may be silence.
    """

    start_ms: int
    end_ms: int
    reason: LossReason

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def nbytes(self) -> int:
        return self.duration_ms * BYTES_PER_MS

    def as_lost_state(self) -> LostState:
        """The same loss as a :class:`LostState`, for a ``ConnectionRestored`` notice."""
        what = f"input audio {self.start_ms}-{self.end_ms} ms ({self.duration_ms} ms)"
        return LostState(what=what, reason=_REASONS[self.reason])


@dataclass(frozen=True, slots=True)
class ResumePlan:
    """What a new session needs to continue an old one's input, and the accounting of it.

    The audio the old session was responsible for — from :attr:`origin_ms` to everything
    appended so far — is split exactly once into ``acknowledged_bytes`` (the old session
    demonstrably consumed it; not sent again), the ``lost`` stretches (out of retention; never
    re-sent) and ``resent`` (sent again to the new session). ``untranslated`` is the part of the
    acknowledged audio after the old session's last output stamp.
    """

    #: The audio to send to the new session first, in order: 200 ms chunks (the last may be
    #: shorter), starting on a frame boundary of the original timeline.
    resent: tuple[bytes, ...]
    #: Where the new session's ``elapsed_ms == 0`` lies on the original input timeline.
    offset_ms: int
    #: Where the old session's ``elapsed_ms == 0`` lay on the original input timeline.
    origin_ms: int
    acknowledged_bytes: int
    #: Audio given up because it had left the ring (reason ``"retention"``).
    lost: tuple[LostAudio, ...]
    #: Acknowledged audio after the last output stamp (reason ``"untranslated"``), if any.
    untranslated: LostAudio | None
    #: How far the old session had heard, on the original timeline. With ``overlap_ms`` the new
    #: session hears ``offset_ms..replayed_until_ms`` a second time, so its deltas up to there
    #: may repeat text and speech already received.
    replayed_until_ms: int

    @property
    def resent_bytes(self) -> int:
        return sum(len(chunk) for chunk in self.resent)

    @property
    def resent_ms(self) -> float:
        return self.resent_bytes / BYTES_PER_MS

    @property
    def lost_bytes(self) -> int:
        return sum(gap.nbytes for gap in self.lost)

    @property
    def lost_ms(self) -> int:
        return sum(gap.duration_ms for gap in self.lost)

    def lost_states(self) -> list[LostState]:
        """Everything given up, as :class:`LostState` entries for a ``ConnectionRestored``."""
        gaps = [*self.lost, *([self.untranslated] if self.untranslated else [])]
        return [gap.as_lost_state() for gap in gaps]

    def events(self) -> list[SessionInputAudioBufferAppendEvent]:
        """The re-sent audio as append events, ready to send after ``session.updated``."""
        return [SessionInputAudioBufferAppendEvent.from_audio(chunk) for chunk in self.resent]


class TranslationTimeline:
    """The input timeline of a translation connection, across any number of sessions.

    Feed it, in order, every chunk of input audio with :meth:`append` (the PCM16 24 kHz mono
    bytes of each ``session.input_audio_buffer.append``, including audio held back while the
    connection was down) and every server event with :meth:`observe`. When the connection drops,
    call :meth:`reconnect` once the old session's last event has been observed; send the plan's
    audio to the new session (after the config is confirmed), then carry on appending and
    observing. Do not :meth:`append` the plan's audio: the timeline already has it.

    ``retention_ms`` (a multiple of 200) bounds the ring of kept audio: never more than that
    many ms of bytes are held. The new session gets the audio after the highest ``elapsed_ms``
    the old one sent; ``overlap_ms`` (a multiple of 200, default 0) re-sends that much more from
    before it, so words the old session had heard but not yet translated are heard again — at
    the price of repeating whatever of them it had already translated.
    """

    def __init__(self, *, retention_ms: int = 5_000, overlap_ms: int = 0) -> None:
        # Whole frames keep every cut, and so every resume point, on the frame grid.
        if retention_ms < FRAME_MS or retention_ms % FRAME_MS:
            raise ConfigurationError(
                f"retention_ms must be a positive multiple of {FRAME_MS}, got {retention_ms}"
            )
        if overlap_ms < 0 or overlap_ms % FRAME_MS:
            raise ConfigurationError(
                f"overlap_ms must be a non-negative multiple of {FRAME_MS}, got {overlap_ms}"
            )
        self._retention_bytes = retention_ms * BYTES_PER_MS
        self._overlap_bytes = overlap_ms * BYTES_PER_MS
        self._ring = bytearray()
        self._ring_start = 0  # position of _ring[0]; always on the frame grid
        self._total = 0  # bytes appended, all sessions
        self._origin = 0  # position of the current session's elapsed_ms == 0
        self._heard = 0  # highest position any delta showed the server had consumed
        self._translated = 0  # highest position an output delta was aligned with
        self._reconnects = 0

    @property
    def retention_ms(self) -> int:
        return self._retention_bytes // BYTES_PER_MS

    @property
    def overlap_ms(self) -> int:
        return self._overlap_bytes // BYTES_PER_MS

    @property
    def appended_bytes(self) -> int:
        """Bytes appended over the whole connection (re-sends not counted again)."""
        return self._total

    @property
    def appended_ms(self) -> float:
        return self._total / BYTES_PER_MS

    @property
    def retained_bytes(self) -> int:
        """Bytes in the ring now; never more than ``retention_ms`` worth."""
        return len(self._ring)

    @property
    def offset_ms(self) -> int:
        """Where the current session's ``elapsed_ms == 0`` lies on the original timeline."""
        return self._origin // BYTES_PER_MS

    @property
    def heard_ms(self) -> int:
        """How far, on the original timeline, the server has demonstrably consumed input."""
        return self._heard // BYTES_PER_MS

    @property
    def translated_ms(self) -> int:
        """The highest output stamp, on the original timeline."""
        return self._translated // BYTES_PER_MS

    @property
    def reconnects(self) -> int:
        return self._reconnects

    def append(
        self, audio: bytes | bytearray | memoryview | SessionInputAudioBufferAppendEvent
    ) -> None:
        """Record input audio sent (or held for sending) to the session; next: keep feeding."""
        data = (
            audio.audio_bytes() if isinstance(audio, SessionInputAudioBufferAppendEvent) else audio
        )
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size % 2:
            raise AudioError(f"PCM16 input needs an even number of bytes, got {size}")
        self._ring += data
        self._total += size
        self._trim()

    def observe(self, event: ServerEvent) -> int | None:
        """Note a server event; return its position on the original timeline in ms, if it has one.

        Only the translation deltas carry ``elapsed_ms``; any other event returns ``None``.
        The returned position is :meth:`to_original_ms` of the event's ``elapsed_ms``.
        """
        match event:
            case SessionOutputAudioDeltaEvent() | SessionOutputTranscriptDeltaEvent():
                elapsed, output = event.elapsed_ms, True
            case SessionInputTranscriptDeltaEvent():
                elapsed, output = event.elapsed_ms, False
            case _:
                return None
        if elapsed is None:
            return None
        position = self._settled(elapsed)
        self._heard = max(self._heard, position)
        if output:
            self._translated = max(self._translated, position)
        self._trim()
        return self.to_original_ms(elapsed)

    def to_original_ms(self, elapsed_ms: int) -> int:
        """Map the current session's ``elapsed_ms`` onto the original input timeline."""
        return self.offset_ms + elapsed_ms

    def reconnect(self) -> ResumePlan:
        """Plan the continuation in a new session; from now on events map with the new offset.

        Call once per new session, after the old session's last event; send ``plan.resent``
        (or ``plan.events()``) to the new session before any new audio.
        """
        resume = self._resume_point()
        start = max(resume, self._ring_start)
        lost = (self._gap(resume, start, "retention"),) if start > resume else ()
        untranslated = None
        if resume > self._translated:
            untranslated = self._gap(self._translated, resume, "untranslated")
        del self._ring[: start - self._ring_start]
        self._ring_start = start
        tail = bytes(self._ring)
        plan = ResumePlan(
            resent=tuple(tail[i : i + FRAME_BYTES] for i in range(0, len(tail), FRAME_BYTES)),
            offset_ms=start // BYTES_PER_MS,
            origin_ms=self._origin // BYTES_PER_MS,
            acknowledged_bytes=resume - self._origin,
            lost=lost,
            untranslated=untranslated,
            replayed_until_ms=self._heard // BYTES_PER_MS,
        )
        self._origin = self._heard = self._translated = start
        self._reconnects += 1
        return plan

    def _settled(self, elapsed_ms: int) -> int:
        # A server cannot have consumed what it was never sent (the fake pads a closing partial
        # frame), and a stamp off the frame grid counts only the whole frames before it.
        position = self._origin + max(elapsed_ms, 0) * BYTES_PER_MS
        return max(self._origin, _floor_frame(min(position, self._total)))

    def _resume_point(self) -> int:
        return max(self._origin, self._heard - self._overlap_bytes)

    def _trim(self) -> None:
        # Keep only what a reconnect could re-send: after the resume point, and at most
        # retention's worth — cut on the frame grid, rounding the cut up so the bound holds.
        floor = max(self._resume_point(), _ceil_frame(self._total - self._retention_bytes))
        if floor > self._ring_start:
            del self._ring[: floor - self._ring_start]
            self._ring_start = floor

    @staticmethod
    def _gap(start: int, end: int, reason: LossReason) -> LostAudio:
        return LostAudio(start // BYTES_PER_MS, end // BYTES_PER_MS, reason)
