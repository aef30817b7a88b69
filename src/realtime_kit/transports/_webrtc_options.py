"""Settings of the WebRTC transport, importable without the ``webrtc`` extra.

:func:`realtime_kit.connect` takes a :class:`WebRTCConfig` (``webrtc=``) next to
``transport="webrtc"``; the transport itself (``transports.webrtc``) needs aiortc.

Imports: the standard library, :mod:`realtime_kit.errors` and the audio frame constants.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from realtime_kit.audio.frame import API_RATE
from realtime_kit.errors import ConfigurationError

__all__ = ["IceServer", "WebRTCConfig"]


@dataclass(frozen=True, slots=True)
class IceServer:
    """One STUN or TURN server (``urls`` like ``"stun:stun.example.com:3478"``)."""

    urls: str | tuple[str, ...]
    username: str | None = None
    credential: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class WebRTCConfig:
    """How the WebRTC transport connects and moves audio.

    Attributes:
        ice_servers: STUN/TURN servers. The default is none: the API's media servers are
            public and answer connectivity checks from wherever the client is (their answer
            carries public host candidates), so a client needs no server-reflexive
            candidate; with none, nothing is sent to a third party and gathering costs no
            STUN timeout. Add a TURN server when a firewall allows only relayed traffic.
        local_addresses: offer host candidates on these local addresses only (e.g.
            ``("127.0.0.1",)`` for tests on loopback, which aioice leaves out by default);
            ``None`` offers every interface's address.
        audio_rate: sample rate (Hz) of the inbound audio handed out (mono PCM16).
        connect_timeout: seconds from the offer to an open ``oai-events`` channel.
        stall_timeout: seconds without a single packet from the peer (audio, RTCP or data)
            after which the connection counts as lost (close 1006, recoverable); a peer that
            dies quietly is noticed instead of hanging. ``None`` leaves it to ICE consent
            freshness (about 30 s in aioice).
        outbound_buffer_ms: audio queued for the outbound track before
            ``send_audio`` waits.
        inbound_buffer_ms: received audio kept for ``audio_frames()`` while nobody reads it;
            beyond it the oldest is dropped and counted (``WebRTCTransport.dropped_ms``).
    """

    ice_servers: tuple[IceServer, ...] = ()
    local_addresses: tuple[str, ...] | None = None
    audio_rate: int = API_RATE
    connect_timeout: float = 15.0
    stall_timeout: float | None = 10.0
    outbound_buffer_ms: int = 1000
    inbound_buffer_ms: int = 5000

    def __post_init__(self) -> None:
        if self.local_addresses is not None:
            if not self.local_addresses:
                raise ConfigurationError("local_addresses must name at least one address")
            for address in self.local_addresses:
                try:
                    ipaddress.ip_address(address)
                except ValueError:
                    raise ConfigurationError(
                        f"local_addresses must be IP addresses, got {address!r}"
                    ) from None
        if isinstance(self.audio_rate, bool) or not 8000 <= self.audio_rate <= 192_000:
            raise ConfigurationError(f"audio_rate must be 8000..192000 Hz, got {self.audio_rate}")
        if self.connect_timeout <= 0:
            raise ConfigurationError("connect_timeout must be positive")
        if self.stall_timeout is not None and self.stall_timeout <= 0:
            raise ConfigurationError("stall_timeout must be positive (or None)")
        if self.outbound_buffer_ms < 20 or self.inbound_buffer_ms < 20:
            raise ConfigurationError("outbound_buffer_ms and inbound_buffer_ms must be >= 20")
