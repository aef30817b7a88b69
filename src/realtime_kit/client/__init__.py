"""The client layer: a live session over a transport.

:func:`connect` opens a :class:`RealtimeConnection` — one transport plus one protocol core
inside a task group — and keeps it alive: :class:`ReconnectPolicy` re-opens a dropped session,
:class:`RolloverPolicy` replaces one before the server's 60-minute cap, and each restore is
reported as a :class:`ConnectionRestored`. This is the only layer where a transport meets the
protocol core; the high-level objects (``conversation``, ``transcriber``) are built on it.

The modules: ``factory`` (``connect()``), ``connection`` (the connection's surface, reading and
writing), ``reconnect`` (the policies and the report), and the connection's private helpers:
``_leg`` (one session on one transport), ``_opening`` (opening a session), ``_recovery`` and
``_rollover`` (switching sessions), ``_media`` (audio on media tracks), ``_dispatch`` (handler
slots), ``_tasks`` (the helper-task host) and ``_webrtc_open`` (the WebRTC opener).

Imports: anyio, httpx (through ``rest``), pydantic, the standard library, and the layers below:
``errors``, ``events``, ``protocol``, ``audio``, ``transports``, ``rest``, ``_settings`` and
``_sync``. Never ``conversation``, ``transcriber`` or ``testing``.
"""

from __future__ import annotations

from realtime_kit.client.connection import Delivered, RealtimeConnection, TransportOpener
from realtime_kit.client.factory import ConnectContext, connect
from realtime_kit.client.reconnect import (
    ConnectionRestored,
    ReconnectBackoff,
    ReconnectPolicy,
    RolloverPolicy,
)

__all__ = [
    "ConnectContext",
    "ConnectionRestored",
    "Delivered",
    "RealtimeConnection",
    "ReconnectBackoff",
    "ReconnectPolicy",
    "RolloverPolicy",
    "TransportOpener",
    "connect",
]
