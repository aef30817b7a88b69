"""The sans-I/O protocol core: one Realtime session's state, fed events, producing bytes.

:class:`RealtimeProtocol` never awaits and never touches a socket. The driver loop is:
receive a text frame → :meth:`RealtimeProtocol.receive` (decodes it and updates the state) →
hand the event out; and to send: :meth:`RealtimeProtocol.send` (checks the event against the
state, records it) → write the returned bytes to the transport.

It tracks the session as the server confirmed it, the conversation items in server order
(``previous_item_id``), each response's lifecycle (``_tables.RESPONSE_TRANSITIONS``), the input
buffer, the assistant audio received per item and content part, and the client events still
able to draw an ``error`` (by ``event_id``), so :meth:`cause_of` ties an error to its cause.

Caller mistakes raise :class:`~realtime_kit.errors.LocalProtocolError` naming the action and
the state. Server inconsistencies are collected in :attr:`violations` (or raised as
:class:`~realtime_kit.errors.RemoteProtocolError` with ``strict=True``): a lagging or quirky
server should not take a live call down.

The state lives in ``_state`` (:class:`~realtime_kit.protocol._state.SessionState`, which this
class extends); what a server event changes is ``_inbound``, what a client event is checked
against and changes is ``_outbound``; this module is the four verbs.

Imports: the standard library, :mod:`realtime_kit.events`, :mod:`realtime_kit.errors` and
``protocol`` siblings. Never anyio, websockets or httpx.
"""

from __future__ import annotations

from typing import Final

from realtime_kit.errors import LocalProtocolError, RemoteProtocolError
from realtime_kit.events import (
    ClientEvent,
    InputAudioBufferAppendEvent,
    ServerEvent,
    SessionInputAudioBufferAppendEvent,
    encode_event,
)
from realtime_kit.protocol._inbound import apply
from realtime_kit.protocol._outbound import apply_sent, check_send, remember_sent
from realtime_kit.protocol._state import SessionState
from realtime_kit.protocol._tables import CLIENT_EVENT_TYPES
from realtime_kit.protocol.records import b64_decoded_size

__all__ = ["RealtimeProtocol"]

# The start of an audio append's JSON per session kind, for send_audio (ends '"}').
_APPEND_HEADS: Final[dict[str, bytes]] = {
    "realtime": b'{"type":"input_audio_buffer.append","audio":"',
    "transcription": b'{"type":"input_audio_buffer.append","audio":"',
    "translation": b'{"type":"session.input_audio_buffer.append","audio":"',
}

# Client event types some session kind knows (an unknown type is sent as it is).
_EVERY_CLIENT_TYPE: Final = CLIENT_EVENT_TYPES["realtime"] | CLIENT_EVENT_TYPES["translation"]


class RealtimeProtocol(SessionState):
    """State of one session. See the module docstring for the driver loop.

    Args:
        kind: the session kind the socket was opened for.
        max_pending: how many recent client events to remember for :meth:`cause_of`.
        strict: raise :class:`RemoteProtocolError` on server inconsistencies instead of
            recording them in :attr:`violations`.
    """

    # -- outbound ----------------------------------------------------------------------------

    def send(self, event: ClientEvent) -> bytes:
        """Check ``event`` against the state, record it, and return the bytes to send.

        An ``event_id`` is assigned (on the event itself) when it has none, except on audio
        appends, which are too frequent to be worth tracking. Next: write the bytes to the
        transport as one text frame.

        Raises:
            LocalProtocolError: the event is not allowed now (closed session, wrong session
                kind, a second response, an empty manual commit, a truncation past the audio
                received, an unknown item).
        """
        kind = event.type
        if self.phase in ("closing", "closed"):
            raise LocalProtocolError(f"send {kind}", f"session {self.phase}")
        if type(event) is InputAudioBufferAppendEvent:
            self._require_kind(kind)
            size = b64_decoded_size(event.audio)
            self.input_buffer.bytes_since_commit += size
            self.input_buffer.bytes_total += size
            return encode_event(event)
        if type(event) is SessionInputAudioBufferAppendEvent:
            self._require_kind(kind)
            self.input_buffer.bytes_total += b64_decoded_size(event.audio)
            return encode_event(event)
        self._require_kind(kind)
        check_send(self, event)
        if event.event_id is None:
            self._sequence += 1
            event.event_id = f"rk_{self._sequence}"
        remember_sent(self, event)
        data = encode_event(event)
        apply_sent(self, event)
        return data

    def send_audio(self, audio: str) -> bytes:
        """Record one audio append (standard base64 ``audio``) and return its bytes.

        The append of this session kind (``session.input_audio_buffer.append`` on translation,
        ``input_audio_buffer.append`` otherwise), written without building a model: the same
        bytes :meth:`send` writes for that event with no ``event_id``. ``audio`` must be base64
        (it is written into the JSON as it is); next: write the bytes as one text frame.

        Raises:
            LocalProtocolError: the session is closing or closed.
        """
        if self.phase in ("closing", "closed"):
            raise LocalProtocolError(f"send {self._append_type}", f"session {self.phase}")
        size = b64_decoded_size(audio)
        if self.kind != "translation":
            self.input_buffer.bytes_since_commit += size
        self.input_buffer.bytes_total += size
        return b"".join((_APPEND_HEADS[self.kind], audio.encode("ascii"), b'"}'))

    @property
    def _append_type(self) -> str:
        if self.kind == "translation":
            return "session.input_audio_buffer.append"
        return "input_audio_buffer.append"

    def _require_kind(self, kind: str) -> None:
        if kind not in CLIENT_EVENT_TYPES[self.kind] and kind in _EVERY_CLIENT_TYPE:
            raise LocalProtocolError(f"send {kind}", f"a {self.kind} session")

    # -- inbound -----------------------------------------------------------------------------

    def receive(self, data: str | bytes) -> ServerEvent:
        """Decode one text frame, update the state, and return the typed event.

        Next: hand the event to the application; if :attr:`fatal` became set, end the session.
        On an error, skip the frame (record it as a violation) and go on with the next one:
        the state is as it was before, apart from what the event had already changed.

        Raises:
            DecodeError: the frame is not a valid event.
            RemoteProtocolError: the event cannot be applied to the session state (or, with
                ``strict=True``, it is inconsistent with it).
        """
        event = self._decoder.decode_server(data)
        self.handle(event)
        return event

    def handle(self, event: ServerEvent) -> None:
        """Update the state from an already decoded server event.

        Raises:
            RemoteProtocolError: as for :meth:`receive`.
        """
        try:
            apply(self, event)
        except RemoteProtocolError:
            raise
        except Exception as exc:  # typed for the caller, the cause chained
            # A well-formed event this core could not apply: whatever it was, for the session
            # it is the server's inconsistency, and it must not take the socket down.
            self._streaming = None
            raise RemoteProtocolError(
                f"{event.type} could not be applied to the session state: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def connection_lost(self) -> None:
        """The transport ended. Next: nothing more can be sent; read the state for a restore."""
        self.phase = "closed"
