"""Opening byte streams for the WebSocket transport: TCP, an HTTP CONNECT proxy, TLS.

Proxies come from the usual environment variables (``HTTPS_PROXY``, ``HTTP_PROXY``,
``ALL_PROXY``, ``NO_PROXY``) unless the caller names one; loopback hosts never use a proxy.
Only ``http://`` proxies are supported (a CONNECT tunnel); anything else is a
:class:`~realtime_kit.errors.ConfigurationError`.

Imports: anyio, the standard library and :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

import base64
import ipaddress
import ssl
import urllib.request
from urllib.parse import unquote, urlsplit

import anyio
from anyio.abc import ByteStream
from anyio.streams.tls import TLSStream

from realtime_kit.errors import ConfigurationError, HandshakeError, TransportError

__all__ = ["environment_proxy", "is_loopback", "open_stream"]

_MAX_PROXY_RESPONSE = 16 * 1024


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (never proxied)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def environment_proxy(secure: bool, host: str) -> str | None:
    """The proxy URL the environment asks for, or ``None`` for a direct connection."""
    if is_loopback(host):
        return None
    proxies = urllib.request.getproxies_environment()
    # Present since Python 3.x but missing from typeshed.
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if bypass(host, proxies):
        return None
    key = "https" if secure else "http"
    return proxies.get(key) or proxies.get("all")


async def _tunnel(proxy_url: str, host: str, port: int) -> ByteStream:
    parts = urlsplit(proxy_url)
    if parts.scheme != "http" or not parts.hostname:
        raise ConfigurationError(
            f"unsupported proxy {parts.scheme}://{parts.hostname}: only http:// CONNECT proxies"
        )
    stream = await anyio.connect_tcp(parts.hostname, parts.port or 80)
    target = f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if parts.username is not None:
        raw = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        lines.append(f"Proxy-Authorization: Basic {base64.b64encode(raw).decode()}")
    await stream.send(("\r\n".join(lines) + "\r\n\r\n").encode())
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        try:
            chunk = await stream.receive()
        except anyio.EndOfStream:
            await stream.aclose()
            raise HandshakeError("the proxy closed the connection during CONNECT") from None
        buffer += chunk
        if len(buffer) > _MAX_PROXY_RESPONSE:
            await stream.aclose()
            raise HandshakeError("the proxy sent an oversized CONNECT response")
    head, _, rest = buffer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status_line.split(" ", 2)
    status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
    if status != 200:
        await stream.aclose()
        raise HandshakeError(f"the proxy refused CONNECT: {status_line!r}", status=status)
    if rest:
        # A well-behaved proxy sends nothing before the client speaks; bytes here would be
        # lost, so treat them as a broken proxy instead of silently dropping them.
        await stream.aclose()
        raise HandshakeError("the proxy sent data before the tunnel was used")
    return stream


async def open_stream(
    host: str,
    port: int,
    *,
    secure: bool,
    ssl_context: ssl.SSLContext | None,
    proxy: str | None,
) -> ByteStream:
    """Connect to ``host:port`` (through ``proxy`` when given), wrapping TLS when ``secure``.

    Raises:
        TransportError: DNS, TCP or TLS failed.
        HandshakeError: the proxy refused the tunnel.
        ConfigurationError: the proxy URL is unusable.
    """
    stream: ByteStream
    try:
        if proxy is not None:
            stream = await _tunnel(proxy, host, port)
        else:
            stream = await anyio.connect_tcp(host, port)
    except TransportError:
        raise  # our own refusals (HandshakeError) are OSErrors too; keep them as they are
    except OSError as exc:
        raise TransportError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
    if not secure:
        return stream
    context = ssl_context if ssl_context is not None else ssl.create_default_context()
    try:
        return await TLSStream.wrap(
            stream, hostname=host, ssl_context=context, standard_compatible=False
        )
    except (ssl.SSLError, OSError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
        await stream.aclose()
        raise TransportError(f"TLS handshake with {host}:{port} failed: {exc}") from exc
