"""The WebSocket transport: websockets' sans-I/O ``ClientProtocol`` under one of two drivers.

:meth:`WebSocketTransport.connect` picks the driver for the running event loop:

* on **asyncio** (and uvloop), an ``asyncio.Protocol`` (``_ws_asyncio``): bytes are parsed in
  the loop's ``data_received`` callback, a waiting reader is woken only when a whole message is
  in, and a text frame is written synchronously with no event-loop round trip unless the socket
  is backed up. This is the path that carries hundreds of sessions per core.
* on **trio** (or behind an HTTP proxy), anyio byte streams (``_ws_stream``), which work on any
  anyio backend.

Both share what is here: the handshake bookkeeping, message assembly, close codes, a cheap
client frame writer (one ``bytes`` per frame, masking keys drawn from a shared pool of
``os.urandom`` bytes instead of one system call per frame), and a reader for the common case —
whole, unmasked text frames, parsed at a sixth of the cost of websockets' generator parser —
that hands everything else (control frames, fragments, binary frames, protocol errors) to
websockets, which keeps parsing until it holds no partial input. Choices that matter, for both: no
permessage-deflate (base64 audio does not compress and deflate costs CPU), no receive size cap
(``conversation.item.retrieved`` can carry minutes of audio), TLS with certificate verification
by default, keepalive pings only when the line is idle, and proxies from the environment.

Every failure surfaces as a :mod:`realtime_kit.errors` type: refusals as
:class:`~realtime_kit.errors.HandshakeError`, endings as
:class:`~realtime_kit.errors.ConnectionClosedError` with the close code, the reason and whether
reconnecting makes sense.

The shared state lives in ``_ws_core``, the framing in ``_ws_frames``; a driver is built on
them, and this module joins each driver to :class:`WebSocketTransport` (so neither driver
imports this module).

Imports: websockets (sans-I/O parts only), the standard library, ``_sync``, ``errors`` and
``transports`` (``_net``, ``_redact``, ``_ws_core``, ``_ws_frames`` and the two drivers).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from websockets.exceptions import InvalidURI
from websockets.uri import parse_uri

from realtime_kit._sync import on_asyncio
from realtime_kit.errors import ConfigurationError
from realtime_kit.transports._net import environment_proxy
from realtime_kit.transports._redact import credentials_in
from realtime_kit.transports._ws_asyncio import AsyncioWebSocket
from realtime_kit.transports._ws_core import WebSocketCore
from realtime_kit.transports._ws_frames import (
    client_protocol,
    client_text_frame,
    text_frames,
    websockets_idle,
)
from realtime_kit.transports._ws_stream import StreamWebSocket

__all__ = ["WebSocketTransport", "client_text_frame", "text_frames", "websockets_idle"]


class WebSocketTransport(WebSocketCore):
    """One WebSocket client connection. Create it with :meth:`connect`.

    ``send_text`` may run concurrently with ``receive_text``; only one task may receive at a
    time (the connection's read loop).
    """

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | Literal[False] | None = None,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float = 20.0,
        close_timeout: float = 5.0,
    ) -> WebSocketTransport:
        """Open a connection to a ``ws://`` or ``wss://`` URL.

        Args:
            url: the endpoint, query string included.
            headers: extra handshake headers (``Authorization`` and friends).
            subprotocols: offered ``Sec-WebSocket-Protocol`` values.
            ssl_context: TLS settings; default verifies certificates against the system store.
            proxy: an ``http://`` CONNECT proxy; ``None`` reads the environment; ``False``
                forces a direct connection.
            open_timeout: seconds allowed for TCP, TLS and the handshake together.
            ping_interval: idle seconds before a keepalive ping; ``None`` disables pings.
            ping_timeout: seconds to wait for any data after a ping before giving up.
            close_timeout: seconds to wait for the peer during a closing handshake.

        Raises:
            ConfigurationError: the URL or proxy is not usable.
            HandshakeError: the server (or proxy) refused, or the handshake timed out.
            TransportError: DNS, TCP or TLS failed.
        """
        try:
            uri = parse_uri(url)
        except InvalidURI as exc:
            raise ConfigurationError(f"not a WebSocket URL: {exc}") from exc
        chosen_proxy = environment_proxy(uri.secure, uri.host) if proxy is None else proxy or None
        protocol = client_protocol(uri, subprotocols, headers)
        secrets = credentials_in(headers, subprotocols)
        options: dict[str, Any] = {
            "secure": uri.secure,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "close_timeout": close_timeout,
        }
        if chosen_proxy is None and on_asyncio():
            return await _OnAsyncio.open(
                uri,
                protocol,
                ssl_context=ssl_context,
                open_timeout=open_timeout,
                secrets=secrets,
                **options,
            )
        return await _OnStreams.open(
            uri,
            protocol,
            ssl_context=ssl_context,
            proxy=chosen_proxy,
            open_timeout=open_timeout,
            secrets=secrets,
            **options,
        )


class _OnAsyncio(AsyncioWebSocket, WebSocketTransport):
    """The asyncio driver as a :class:`WebSocketTransport`."""


class _OnStreams(StreamWebSocket, WebSocketTransport):
    """The anyio-stream driver as a :class:`WebSocketTransport`."""
