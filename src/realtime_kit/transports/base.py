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

Imports: the standard library and :mod:`realtime_kit.errors` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "NORMAL_CLOSE_CODES",
    "RECOVERABLE_CLOSE_CODES",
    "Transport",
    "TransportCapabilities",
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
    """

    name: str
    audio_in_band: bool = True
    server_playback: bool = False
    secure: bool = False


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
