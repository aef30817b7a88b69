"""The WebSocket transport through TLS (verified) and an HTTP CONNECT proxy, on both backends."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
import trustme
from anyio.abc import SocketAttribute, SocketStream

from realtime_kit.errors import HandshakeError, TransportError
from realtime_kit.testing import check_transport, loopback_websocket_pair
from realtime_kit.transports._net import environment_proxy

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_ssl(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_ssl(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_tls_with_a_trusted_certificate(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    async with loopback_websocket_pair(server_ssl=server_ssl, ssl_context=client_ssl) as (
        transport,
        peer,
    ):
        assert transport.capabilities.secure
        await transport.send_text('{"type":"over-tls"}')
        assert await peer.receive_text() == '{"type":"over-tls"}'


async def test_tls_passes_the_conformance_suite(
    server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> None:
    def pair() -> object:
        return loopback_websocket_pair(server_ssl=server_ssl, ssl_context=client_ssl)

    await check_transport(pair)  # type: ignore[arg-type]


async def test_tls_refuses_an_untrusted_certificate(server_ssl: ssl.SSLContext) -> None:
    # The default context trusts the system store only, which knows nothing of this CA.
    with pytest.raises(TransportError, match="TLS handshake"):
        async with loopback_websocket_pair(server_ssl=server_ssl):
            raise AssertionError("connected to an untrusted server")


@asynccontextmanager
async def connect_proxy(status: int = 200) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A one-connection HTTP CONNECT proxy on 127.0.0.1; yields its URL and the request heads."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.listeners[0].extra(SocketAttribute.local_port)
    heads: list[bytes] = []

    async def pipe(source: SocketStream, sink: SocketStream) -> None:
        try:
            async for chunk in source:
                await sink.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return
        finally:
            await sink.aclose()

    async def serve(client: SocketStream) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += await client.receive()
        heads.append(head)
        if status != 200:
            await client.send(f"HTTP/1.1 {status} Nope\r\n\r\n".encode())
            await client.aclose()
            return
        target = head.split(b" ")[1].decode()
        host, _, target_port = target.rpartition(":")
        upstream = await anyio.connect_tcp(host, int(target_port))
        await client.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
        async with anyio.create_task_group() as tg:
            tg.start_soon(pipe, client, upstream)
            tg.start_soon(pipe, upstream, client)

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve)
        try:
            yield f"http://user:pa%20ss@127.0.0.1:{port}", heads
        finally:
            tg.cancel_scope.cancel()


async def test_connect_through_an_http_proxy() -> None:
    async with (
        connect_proxy() as (proxy, heads),
        loopback_websocket_pair(proxy=proxy) as (transport, peer),
    ):
        await peer.send_text('{"type":"via-proxy"}')
        assert await transport.receive_text() == '{"type":"via-proxy"}'
    assert heads[0].startswith(b"CONNECT 127.0.0.1:")
    # Basic credentials from the proxy URL, percent-decoded: "user:pa ss".
    assert b"Proxy-Authorization: Basic dXNlcjpwYSBzcw==" in heads[0]


async def test_proxy_refusal_is_a_handshake_error() -> None:
    async with connect_proxy(status=407) as (proxy, _heads):
        with pytest.raises(HandshakeError) as info:
            async with loopback_websocket_pair(proxy=proxy):
                raise AssertionError("tunnel opened despite 407")
    assert info.value.status == 407


def test_environment_proxies_skip_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "skip.example")
    assert environment_proxy(True, "api.openai.com") == "http://proxy.internal:3128"
    assert environment_proxy(True, "127.0.0.1") is None
    assert environment_proxy(True, "localhost") is None
    assert environment_proxy(True, "skip.example") is None
