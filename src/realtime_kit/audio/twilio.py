"""Twilio Media Streams building blocks: typed messages, μ-law payloads, and mark-driven playback.

Twilio speaks JSON text frames over a WebSocket, discriminated on ``event``. From Twilio:
``connected``, ``start``, ``media``, ``dtmf``, ``mark`` (the echo of a mark we sent, once the
audio before it has played) and ``stop``. To Twilio (bidirectional streams): ``media``,
``mark`` and ``clear``. Audio is base64 μ-law at 8 kHz, mono.

:func:`parse_twilio_message` turns a frame into a model (an unknown ``event`` becomes
:class:`TwilioUnknownMessage`, never a crash); :class:`TwilioPlayback` is the sans-I/O outbound
half of a phone bridge: it converts 24 kHz PCM16 to μ-law media messages, drops a mark after
each, feeds a marks-driven :class:`~realtime_kit.audio.clock.PlaybackClock` from the echoes, and
turns a barge-in into a ``clear`` plus what was heard.

Imports: pydantic, pybase64, :mod:`realtime_kit.audio` siblings, :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

import binascii
import json
from typing import Annotated, Any, Literal, TypeAlias

import pybase64
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from realtime_kit.audio.clock import PlaybackClock, PlaybackPosition
from realtime_kit.audio.frame import API_RATE, PCMFrame
from realtime_kit.audio.g711 import TelephonyDecoder, TelephonyEncoder
from realtime_kit.errors import ConfigurationError, DecodeError

__all__ = [
    "TwilioClearMessage",
    "TwilioConnectedMessage",
    "TwilioDtmf",
    "TwilioDtmfMessage",
    "TwilioInbound",
    "TwilioInboundMessage",
    "TwilioMark",
    "TwilioMarkMessage",
    "TwilioMedia",
    "TwilioMediaFormat",
    "TwilioMediaMessage",
    "TwilioPlayback",
    "TwilioStart",
    "TwilioStartMessage",
    "TwilioStop",
    "TwilioStopMessage",
    "TwilioUnknownMessage",
    "encode_twilio_message",
    "parse_twilio_message",
]


class _Model(BaseModel):
    # Python names are snake_case; the wire is camelCase. Unknown fields are kept.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True
    )


class TwilioMediaFormat(_Model):
    """``start.mediaFormat``: what Twilio sends (``audio/x-mulaw``, 8000 Hz, 1 channel)."""

    encoding: str = "audio/x-mulaw"
    sample_rate: int = 8000
    channels: int = 1


class TwilioStart(_Model):
    """``start``'s payload: stream metadata."""

    stream_sid: str
    account_sid: str | None = None
    call_sid: str | None = None
    tracks: list[str] = Field(default_factory=list)
    custom_parameters: dict[str, Any] = Field(default_factory=dict)
    media_format: TwilioMediaFormat = Field(default_factory=TwilioMediaFormat)


class TwilioMedia(_Model):
    """``media``'s payload. From Twilio it carries track/chunk/timestamp; to Twilio only payload."""

    payload: str
    track: str | None = None
    chunk: str | None = None
    timestamp: str | None = None

    def audio_bytes(self) -> bytes:
        """The μ-law bytes (base64-decoded)."""
        try:
            return pybase64.b64decode(self.payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecodeError("media payload is not valid base64", event_type="media") from exc


class TwilioMark(_Model):
    """``mark``'s payload."""

    name: str


class TwilioDtmf(_Model):
    """``dtmf``'s payload: one key press."""

    digit: str
    track: str | None = None


class TwilioStop(_Model):
    """``stop``'s payload."""

    account_sid: str | None = None
    call_sid: str | None = None


class TwilioConnectedMessage(_Model):
    """First message from Twilio."""

    event: Literal["connected"] = "connected"
    protocol: str | None = None
    version: str | None = None


class TwilioStartMessage(_Model):
    """Stream metadata, once, after ``connected``."""

    event: Literal["start"] = "start"
    sequence_number: str | None = None
    stream_sid: str | None = None
    start: TwilioStart


class TwilioMediaMessage(_Model):
    """A chunk of audio (both directions)."""

    event: Literal["media"] = "media"
    sequence_number: str | None = None
    stream_sid: str | None = None
    media: TwilioMedia


class TwilioMarkMessage(_Model):
    """A mark: sent after outbound audio; echoed by Twilio once that audio has played."""

    event: Literal["mark"] = "mark"
    sequence_number: str | None = None
    stream_sid: str | None = None
    mark: TwilioMark


class TwilioDtmfMessage(_Model):
    """A key press on the call."""

    event: Literal["dtmf"] = "dtmf"
    sequence_number: str | None = None
    stream_sid: str | None = None
    dtmf: TwilioDtmf


class TwilioStopMessage(_Model):
    """The stream ended."""

    event: Literal["stop"] = "stop"
    sequence_number: str | None = None
    stream_sid: str | None = None
    stop: TwilioStop = Field(default_factory=TwilioStop)


class TwilioClearMessage(_Model):
    """To Twilio: discard all buffered outbound audio (Twilio then echoes pending marks)."""

    event: Literal["clear"] = "clear"
    stream_sid: str


class TwilioUnknownMessage(_Model):
    """A message whose ``event`` this version does not know; ``raw`` keeps it whole."""

    event: str
    raw: dict[str, Any]


TwilioInboundMessage: TypeAlias = Annotated[
    TwilioConnectedMessage
    | TwilioStartMessage
    | TwilioMediaMessage
    | TwilioMarkMessage
    | TwilioDtmfMessage
    | TwilioStopMessage
    | TwilioClearMessage,
    Field(discriminator="event"),
]
"""Any known Media Streams message (``clear`` included so our own output parses too)."""

_ADAPTER: TypeAdapter[TwilioInboundMessage] = TypeAdapter(TwilioInboundMessage)
_KNOWN = frozenset({"connected", "start", "media", "mark", "dtmf", "stop", "clear"})


def parse_twilio_message(
    data: str | bytes,
) -> TwilioInboundMessage | TwilioUnknownMessage:
    """Parse one Media Streams frame; raise :class:`~realtime_kit.errors.DecodeError` if invalid."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(f"Twilio message is not JSON: {exc}") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
        raise DecodeError("Twilio message is not an object with a string 'event'")
    event = obj["event"]
    if event not in _KNOWN:
        return TwilioUnknownMessage(event=event, raw=obj)
    try:
        return _ADAPTER.validate_python(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"][1:]) or None
        raise DecodeError(
            f"invalid Twilio {event!r} message: {first['msg']}", event_type=event, field=field
        ) from exc


def encode_twilio_message(message: _Model) -> str:
    """Serialise a message for the wire (camelCase keys, unset optional fields omitted)."""
    return message.model_dump_json(by_alias=True, exclude_none=True)


class TwilioPlayback:
    """Outbound audio to a Twilio call, with the heard position tracked by mark echoes.

    Sans-I/O: methods return the JSON text frames to send; the caller sends them in order.

    - :meth:`send_audio` takes 24 kHz PCM16 for an item and returns ``media`` frames (μ-law,
      8 kHz) followed by one ``mark``.
    - :meth:`on_message` takes every parsed frame from Twilio; mark echoes advance the clock.
    - :meth:`barge_in` returns the ``clear`` frame and, per item, what was heard.

    The heard position moves in steps of one :meth:`send_audio` call (a mark per call), so send
    audio in small pieces (the deltas as they come, or 20–100 ms) for a fine-grained position.
    """

    def __init__(
        self,
        stream_sid: str,
        *,
        clock: PlaybackClock | None = None,
        media_ms: int = 20,
    ) -> None:
        self._sid = stream_sid
        self._clock = clock if clock is not None else PlaybackClock(API_RATE, source="marks")
        if self._clock.source != "marks":
            raise ConfigurationError("TwilioPlayback needs a PlaybackClock with source='marks'")
        self._encoder = TelephonyEncoder("ulaw", self._clock.rate)
        self._chunk = media_ms * 8  # μ-law bytes per media message (8 bytes per ms)
        self._current: tuple[str, int] | None = None
        # For the current item: clock samples received, μ-law samples sent, clock samples
        # reported to the clock. Only audio actually sent is reported, so a mark never covers
        # audio still held inside the resampler.
        self._acct = [0, 0, 0]

    @property
    def clock(self) -> PlaybackClock:
        """The marks-driven clock."""
        return self._clock

    def send_audio(
        self, frame: PCMFrame, item_id: str, *, content_index: int = 0, last: bool = False
    ) -> list[str]:
        """Convert one frame of an item's audio; return the frames to send (media…, mark).

        ``last=True`` (or the next item starting) releases the resampler's held tail, so an
        item's audio is complete on the line before the next item's begins.
        """
        out: list[str] = []
        key = (item_id, content_index)
        if self._current is not None and self._current != key:
            out += self._close_item()
        self._current = key
        self._acct[0] += frame.num_samples
        out += self._emit(self._encoder.encode(frame), final=False)
        if last:
            out += self._close_item()
            self._clock.end_item(item_id, content_index=content_index)
        out.append(self._mark())
        return out

    def end_item(self, item_id: str, *, content_index: int = 0) -> list[str]:
        """No more audio for this item: return the frames carrying its held tail (and a mark)."""
        out: list[str] = []
        if self._current == (item_id, content_index):
            out += self._close_item()
            out.append(self._mark())
        self._clock.end_item(item_id, content_index=content_index)
        return out

    def on_message(self, message: TwilioInboundMessage | TwilioUnknownMessage) -> bool:
        """Feed a parsed Twilio frame; return True when it moved the clock."""
        if isinstance(message, TwilioMarkMessage):
            return self._clock.mark_reached(message.mark.name)
        return False

    def barge_in(self) -> tuple[str, list[PlaybackPosition]]:
        """Return the ``clear`` frame to send and what each cut item had played."""
        self._encoder.reset()
        self._current = None
        self._acct = [0, 0, 0]
        positions = self._clock.flush()
        return encode_twilio_message(TwilioClearMessage(stream_sid=self._sid)), positions

    def _close_item(self) -> list[str]:
        out = self._emit(self._encoder.flush(), final=True)
        self._current = None
        self._acct = [0, 0, 0]
        return out

    def _emit(self, ulaw: bytes, *, final: bool) -> list[str]:
        assert self._current is not None
        acct = self._acct
        acct[1] += len(ulaw)
        rate = self._clock.rate
        target = acct[0] if final else min(acct[0], acct[1] * rate // 8000)
        if target > acct[2]:
            item_id, content_index = self._current
            self._clock.received(item_id, target - acct[2], content_index=content_index)
            acct[2] = target
        return self._media(ulaw)

    def _media(self, ulaw: bytes) -> list[str]:
        return [
            encode_twilio_message(
                TwilioMediaMessage(
                    stream_sid=self._sid,
                    media=TwilioMedia(
                        payload=pybase64.b64encode(ulaw[i : i + self._chunk]).decode("ascii")
                    ),
                )
            )
            for i in range(0, len(ulaw), self._chunk)
        ]

    def _mark(self) -> str:
        name = self._clock.mark()
        return encode_twilio_message(
            TwilioMarkMessage(stream_sid=self._sid, mark=TwilioMark(name=name))
        )


class TwilioInbound:
    """Inbound caller audio: μ-law ``media`` payloads in, 24 kHz PCM16 frames out."""

    def __init__(self, out_rate: int = API_RATE) -> None:
        self._decoder = TelephonyDecoder("ulaw", out_rate)

    def on_media(self, message: TwilioMediaMessage) -> PCMFrame:
        """Decode one inbound media message (may be short while the resampler fills)."""
        return self._decoder.decode(message.media.audio_bytes())

    def flush(self) -> PCMFrame:
        """The resampler's held tail, at the end of the call."""
        return self._decoder.flush()
