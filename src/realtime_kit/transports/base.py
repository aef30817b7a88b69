"""The transport interface: what every way of reaching the Realtime API must offer.

A transport moves JSON text frames (one event per frame) in both directions and knows nothing
about events or sessions. ``connection.py`` is the only consumer. The contract, which
:func:`realtime_kit.testing.check_transport` verifies for any implementation:

- ``send_text`` sends one text frame; it may be called while another task waits in
  ``receive_text``; frames go out in the order of the calls.
- ``receive_text`` returns the next text frame; once the connection has ended it raises
  :class:`~realtime_kit.errors.ConnectionClosedError` (every time it is called again).
- ``aclose`` is idempotent; after it, ``send_text`` raises ``ConnectionClosedError``.
- Nothing but :mod:`realtime_kit.errors` types escapes any of the three.

A transport whose audio rides on media tracks (WebRTC; ``capabilities.audio_in_band`` is
False) is also a :class:`MediaTransport`: ``send_audio`` feeds its outbound track,
``audio_frames`` hands out what its inbound track delivered, and ``delivered_samples`` counts
that audio for a :class:`~realtime_kit.audio.PlaybackClock`. Such a transport reports its
network states (ICE, DTLS, data channel, track) as :class:`TransportStateChanged` values to
the callbacks given to ``on_state``.

Imports: the standard library, :mod:`realtime_kit.errors` and (for types) the audio frame.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from realtime_kit.audio.frame import PCMFrame

__all__ = [
    "NORMAL_CLOSE_CODES",
    "RECOVERABLE_CLOSE_CODES",
    "MediaTransport",
    "Transport",
    "TransportCapabilities",
    "TransportLayer",
    "TransportStateChanged",
    "is_recoverable_close",
]

#: Close codes after which opening a fresh connection is expected to work: going away (the
#: 60-minute cap uses it), no status, abnormal closure, internal error, service restart, try
#: again later, TLS failure.
RECOVERABLE_CLOSE_CODES: frozenset[int] = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1015})

#: Close codes that mean "finished on purpose".
NORMAL_CLOSE_CODES: frozenset[int] = frozenset({1000})


def is_recoverable_close(code: int | None) -> bool:
    """Whether a connection that ended with ``code`` is worth re-opening.

    ``None`` (no close frame at all: the socket died) counts as recoverable.
    """
    return code is None or code in RECOVERABLE_CLOSE_CODES


@dataclass(frozen=True, slots=True)
class TransportCapabilities:
    """What a transport does beyond moving text frames.

    Attributes:
        name: short identifier, e.g. ``"websocket"`` or ``"webrtc"``.
        audio_in_band: input and output audio travel inside JSON events
            (``input_audio_buffer.append`` / ``response.output_audio.delta``). False when audio
            rides on media tracks (WebRTC).
        server_playback: the server plays audio to the listener and truncates on barge-in
            itself (WebRTC, SIP), so ``output_audio_buffer.*`` events exist.
        secure: the bytes are encrypted on the wire (TLS or DTLS).
        close_codes: the peer's close code and reason reach us (WebSocket). False for a
            transport that has none (WebRTC): a polite end then reads as 1000 and a failure of
            the network as 1006, both with the transport's own reason.
        max_message_bytes: the largest text frame the peer accepts, in UTF-8 bytes, or None
            for no limit. A larger frame is refused with
            :class:`~realtime_kit.errors.LocalProtocolError` before anything is sent.
    """

    name: str
    audio_in_band: bool = True
    server_playback: bool = False
    secure: bool = False
    close_codes: bool = True
    max_message_bytes: int | None = None


TransportLayer = Literal["ice", "dtls", "connection", "data_channel", "track"]
"""The layer a :class:`TransportStateChanged` is about."""


@dataclass(frozen=True, slots=True)
class TransportStateChanged:
    """A network state change of a media transport (ICE, DTLS, data channel, track).

    Delivered by a :class:`~realtime_kit.RealtimeConnection` like a server event
    (``async for`` and ``conn.on(TransportStateChanged, ...)``), so a stalled or failing peer is
    visible, not silent.

    Attributes:
        layer: ``"ice"`` (connectivity checks), ``"dtls"`` (the encrypted transport),
            ``"connection"`` (the peer connection as a whole), ``"data_channel"`` (the event
            channel) or ``"track"`` (the inbound audio track).
        state: the new state, in the WebRTC vocabulary of that layer (e.g. ``"checking"``,
            ``"completed"``, ``"failed"``; ``"connected"``, ``"closed"``; ``"open"``;
            ``"live"``, ``"ended"``, ``"stalled"``).
        previous: the state before, or ``""`` for the first report.
        at: ``time.monotonic()`` when it changed.
    """

    layer: TransportLayer
    state: str
    previous: str
    at: float


@runtime_checkable
class Transport(Protocol):
    """A bidirectional channel of text frames. See the module docstring for the contract."""

    @property
    def capabilities(self) -> TransportCapabilities:
        """Static facts about this transport."""
        ...

    @property
    def close_code(self) -> int | None:
        """The close code once the connection has ended, else ``None``."""
        ...

    @property
    def close_reason(self) -> str:
        """The close reason once the connection has ended, else ``""``."""
        ...

    async def send_text(self, data: str | bytes) -> None:
        """Send one text frame. ``bytes`` must be UTF-8 (it is sent without re-encoding).

        Raises:
            ConnectionClosedError: the connection has ended.
            TransportError: the network failed.
        """
        ...

    async def receive_text(self) -> str:
        """Wait for and return the next text frame.

        Raises:
            ConnectionClosedError: the connection has ended (code and reason attached).
            RemoteProtocolError: the peer sent something that is not a text frame.
        """
        ...

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (politely when possible). Safe to call more than once."""
        ...


@runtime_checkable
class MediaTransport(Transport, Protocol):
    """A transport whose audio rides on media tracks (``capabilities.audio_in_band`` False).

    The client layer routes :meth:`~realtime_kit.RealtimeConnection.send_audio` here and
    exposes :meth:`audio_frames` as :meth:`~realtime_kit.RealtimeConnection.audio_frames`.
    """

    @property
    def audio_rate(self) -> int:
        """Sample rate (Hz) of the mono frames :meth:`audio_frames` hands out."""
        ...

    @property
    def delivered_samples(self) -> int:
        """Inbound samples (at :attr:`audio_rate`) the track has delivered so far: what the
        listener can have heard. Feed a ``PlaybackClock(source="webrtc")`` from it."""
        ...

    async def send_audio(self, frame: PCMFrame) -> None:
        """Queue audio (any rate, mono or stereo) for the outbound track, in order.

        It is resampled once and played out in real time; waits while more than the transport's
        outbound buffer is queued (backpressure), so a file streams at the pace of speech.

        Raises:
            ConnectionClosedError: the connection has ended.
            AudioError: the frame cannot be converted.
        """
        ...

    def audio_frames(self) -> AsyncIterator[PCMFrame]:
        """The inbound track's audio as mono PCM16 frames at :attr:`audio_rate`, in order.

        One consumer at a time. The iterator ends when the connection ends.
        """
        ...

    def on_state(self, callback: Callable[[TransportStateChanged], None]) -> Callable[[], None]:
        """Call ``callback`` (in the event loop, keep it quick) for every state change from now
        on; returns a function that unsubscribes."""
        ...
