"""How ``connect(transport="webrtc")`` opens a call: the SDP exchange over REST, then the
WebRTC transport.

The offer goes to ``POST /v1/realtime/calls`` in the form the key calls for: multipart (``sdp``
plus a ``session`` part naming the session type and model) with a standard key, a raw
``application/sdp`` body with an ephemeral ``ek_`` key (whose session config the server
already has). A refusal becomes a :class:`~realtime_kit.errors.HandshakeError` carrying the
HTTP status and the server's message, like a refused WebSocket upgrade, so reconnect policies
treat both alike.

Imports: the standard library, ``errors``, ``rest``, ``_settings``, ``_leg`` and
``transports`` (the WebRTC transport itself, and with it aiortc, only when a call is opened).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from realtime_kit._settings import ClientSettings
from realtime_kit.client._leg import SessionTarget
from realtime_kit.errors import (
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    HandshakeError,
)
from realtime_kit.rest import RealtimeREST
from realtime_kit.transports._webrtc_options import WebRTCConfig
from realtime_kit.transports.base import Transport

if TYPE_CHECKING:
    from realtime_kit.client.connection import TransportOpener

__all__ = ["webrtc_opener"]


def _under_trio() -> bool:
    """Whether this runs inside trio (outside any loop: no; the call checks again)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_root_task()
    except RuntimeError:
        return False
    return True


def webrtc_opener(
    settings: ClientSettings, target: SessionTarget, config: WebRTCConfig | None
) -> TransportOpener:
    """The opener ``connect()`` uses for ``transport="webrtc"``.

    Raises:
        MissingExtraError: the ``webrtc`` extra is not installed.
        ConfigurationError: under trio, or a target WebRTC cannot reach (a sideband
            ``call_id`` joins over WebSocket; translation has no WebRTC path).
    """
    from realtime_kit.transports.webrtc import WebRTCTransport  # needs the extra

    if _under_trio():
        raise ConfigurationError(
            "transport='webrtc' needs the asyncio backend (aiortc runs on asyncio); under "
            "trio use transport='websocket'"
        )
    if target.kind == "translation":
        raise ConfigurationError("translation sessions have no WebRTC path; use a WebSocket")
    if "call_id" in target.query:
        raise ConfigurationError(
            "a sideband (call_id=) joins an existing call over WebSocket; drop transport='webrtc'"
        )
    part: dict[str, str] | None = None
    if not settings.is_ephemeral:
        part = {"type": target.kind}
        if "model" in target.query:
            part["model"] = target.query["model"]
    chosen = config or WebRTCConfig()

    async def open_webrtc(url: str, headers: Mapping[str, str]) -> Transport:
        del url, headers  # the call is made over REST; the settings carry the same facts

        async def exchange(offer: str) -> tuple[str, str]:
            async with RealtimeREST(
                api_key=settings.api_key,
                base_url=settings.base_url,
                organization=settings.organization,
                project=settings.project,
                safety_identifier=settings.safety_identifier,
            ) as rest:
                try:
                    answer = await rest.create_call(offer, session=part)
                except APIStatusError as exc:
                    raise HandshakeError(
                        f"the server refused the WebRTC offer: {exc}",
                        status=exc.status_code,
                        reason=exc.code,
                        request_id=exc.request_id,
                    ) from exc
                except APIConnectionError as exc:
                    raise HandshakeError(f"the WebRTC offer got no answer: {exc}") from exc
            return answer.call_id, answer.sdp

        return await WebRTCTransport.connect(exchange, chosen)

    return open_webrtc
