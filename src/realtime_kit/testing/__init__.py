"""realtime_kit.testing: the public test kit (fake server, scenarios, transport conformance).

Nothing in the library imports this package; it may import anything public.
"""

from __future__ import annotations

from realtime_kit.testing.transport_check import (
    LoopbackWebSocketPeer,
    TransportPeer,
    check_transport,
    loopback_websocket_pair,
)

__all__ = [
    "LoopbackWebSocketPeer",
    "TransportPeer",
    "check_transport",
    "loopback_websocket_pair",
]
