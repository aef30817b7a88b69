"""The WebSocket transport over real loopback sockets, on asyncio and trio."""

from __future__ import annotations

import anyio
import pytest

from realtime_kit.errors import (
    ConfigurationError,
    HandshakeError,
    RemoteProtocolError,
    TransportError,
)
from realtime_kit.testing import check_transport, loopback_websocket_pair
from realtime_kit.transports import Transport, WebSocketTransport, is_recoverable_close

pytestmark = pytest.mark.anyio


async def test_conformance_suite() -> None:
    await check_transport(loopback_websocket_pair)


async def test_handshake_sends_headers_and_subprotocols_without_compression() -> None:
    async with loopback_websocket_pair(
        path="/v1/realtime?model=gpt-realtime-2",
        headers={"Authorization": "Bearer sk-test", "OpenAI-Project": "proj_1"},
        subprotocols=["realtime"],
    ) as (transport, peer):
        assert isinstance(transport, Transport)
        assert peer.request.path == "/v1/realtime?model=gpt-realtime-2"
        assert peer.request.headers["Authorization"] == "Bearer sk-test"
        assert peer.request.headers["OpenAI-Project"] == "proj_1"
        assert "Sec-WebSocket-Extensions" not in peer.request.headers
        assert transport.subprotocol == "realtime"
        assert transport.capabilities.audio_in_band
        assert not transport.capabilities.secure


async def test_refused_handshake_is_typed_with_status_and_request_id() -> None:
    with pytest.raises(HandshakeError) as info:
        async with loopback_websocket_pair(refuse=(401, '{"error":"invalid_api_key"}')):
            raise AssertionError("connected despite refusal")
    assert info.value.status == 401
    assert info.value.request_id == "req_loopback"
    assert "invalid_api_key" in str(info.value)


async def test_connection_refused_is_transport_error() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.listeners[0].extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    with pytest.raises(TransportError) as info:
        await WebSocketTransport.connect(f"ws://127.0.0.1:{port}/v1", proxy=False)
    assert not isinstance(info.value, HandshakeError)


async def test_bad_url_is_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        await WebSocketTransport.connect("http://example.invalid/v1")


async def test_handshake_timeout_is_handshake_error() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.listeners[0].extra(anyio.abc.SocketAttribute.local_port)
    async with listener:
        # The listener never answers the upgrade request.
        with pytest.raises(HandshakeError, match="timed out"):
            await WebSocketTransport.connect(f"ws://127.0.0.1:{port}/v1", open_timeout=0.2)


async def test_keepalive_ping_goes_out_when_idle() -> None:
    async with loopback_websocket_pair(ping_interval=0.05, ping_timeout=5) as (transport, peer):
        async with anyio.create_task_group() as tg:

            async def read() -> None:
                assert await transport.receive_text() == '{"type":"late"}'

            tg.start_soon(read)
            await peer.ping_seen.wait()
            await peer.send_text('{"type":"late"}')
        assert peer.pings_received >= 1


def test_recoverable_close_codes() -> None:
    assert is_recoverable_close(1001)
    assert is_recoverable_close(None)
    assert not is_recoverable_close(1000)
    assert not is_recoverable_close(4000)
    assert not is_recoverable_close(1008)


async def test_fragmented_message_is_reassembled() -> None:
    async with loopback_websocket_pair() as (transport, peer):
        text = '{"type":"pieces","text":"' + "ü" * 5000 + '"}'
        await peer.send_fragmented(text, 7)
        assert await transport.receive_text() == text


async def test_binary_frame_is_a_typed_error_and_the_connection_survives() -> None:
    async with loopback_websocket_pair() as (transport, peer):
        await peer.send_binary(b"\x00\x01")
        await peer.send_text('{"type":"after"}')
        with pytest.raises(RemoteProtocolError, match="binary"):
            await transport.receive_text()
        assert await transport.receive_text() == '{"type":"after"}'
