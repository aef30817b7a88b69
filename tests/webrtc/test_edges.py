"""What goes wrong at the edges of a WebRTC call, and the typed error each becomes: refused
offers, key kinds against the form, an event over the peer's message limit, ICE that never
connects, trio, and a missing extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx
import pytest

import realtime_kit
from realtime_kit.errors import (
    ConfigurationError,
    HandshakeError,
    LocalProtocolError,
)
from realtime_kit.events import SessionUpdateEvent
from realtime_kit.testing.webrtc import WebRTCPeer
from realtime_kit.transports import WebRTCConfig
from realtime_kit.transports.webrtc import (
    WebRTCTransport,
    host_candidates,
    max_message_size,
)
from tests.webrtc._calls import KEY, LOOPBACK, connect, server

pytestmark = pytest.mark.anyio


async def test_a_refused_offer_is_a_handshake_error_with_the_servers_message() -> None:
    async with server(api_keys=[KEY]) as srv:
        with pytest.raises(HandshakeError, match="Incorrect API key") as info:
            async with connect(srv, api_key="sk-wrong", reconnect=False):
                pass
    assert info.value.status == 401


async def test_the_server_checks_the_key_kind_against_the_form() -> None:
    offer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    async with server() as srv, httpx.AsyncClient() as http:
        url = srv.base_url + "/realtime/calls"
        raw = await http.post(
            url,
            content=offer,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/sdp"},
        )
        assert raw.status_code == 400
        assert raw.json()["error"]["param"] == "session"
        async with realtime_kit.RealtimeREST(api_key=KEY, base_url=srv.base_url) as rest:
            secret = await rest.create_client_secret({"type": "realtime"})
        multipart = await http.post(
            url,
            files={"sdp": (None, offer.encode(), "application/sdp")},
            headers={"Authorization": f"Bearer {secret.value}"},
        )
        assert multipart.status_code == 400
        assert "application/sdp" in multipart.json()["error"]["message"]


async def test_an_ephemeral_key_opens_the_call_with_its_own_session() -> None:
    async with server() as srv:
        async with realtime_kit.RealtimeREST(api_key=KEY, base_url=srv.base_url) as rest:
            secret = await rest.create_client_secret(
                {"type": "realtime", "instructions": "Speak like a lighthouse keeper."}
            )
        async with connect(srv, api_key=secret.value) as conn:
            assert conn.session is not None
            assert conn.session["instructions"] == "Speak like a lighthouse keeper."
            assert srv.call(conn.transport.call_id or "").offer_sdp == conn.transport.offer_sdp


async def test_an_unusable_offer_is_refused_with_400() -> None:
    async with (
        server() as srv,
        realtime_kit.RealtimeREST(api_key=KEY, base_url=srv.base_url) as rest,
    ):
        with pytest.raises(realtime_kit.errors.APIStatusError) as info:
            await rest.create_call("v=0\r\nm=audio nonsense\r\n", session={"type": "realtime"})
    assert info.value.status_code == 400
    assert info.value.code == "invalid_offer"


async def test_an_event_over_the_message_limit_is_refused_and_the_call_goes_on() -> None:
    async with server() as srv, connect(srv) as conn:
        huge = SessionUpdateEvent.model_validate(
            {"session": {"type": "realtime", "instructions": "x" * 70_000}}
        )
        with pytest.raises(LocalProtocolError, match="65536"):
            await conn.send(huge)
        await conn.update_session({"instructions": "short"})
        async for event in conn:
            if event.type == "session.updated":
                assert event.session.instructions == "short"
                break


async def test_ice_that_never_connects_is_a_handshake_error_in_time() -> None:
    peer = WebRTCPeer()

    async def exchange(offer: str) -> tuple[str, str]:
        answer = await peer.answer(offer)
        # A wrong ICE password: every connectivity check of ours is refused.
        lines = [
            "a=ice-pwd:" + "x" * 24 if line.startswith("a=ice-pwd:") else line
            for line in answer.split("\r\n")
        ]
        return "rtc_nowhere", "\r\n".join(lines)

    config = WebRTCConfig(local_addresses=("127.0.0.1",), connect_timeout=1.5)
    try:
        with pytest.raises(HandshakeError, match=r"did not open within 1.5 s|failed"):
            await WebRTCTransport.connect(exchange, config)
    finally:
        await peer.aclose()


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_under_trio_webrtc_is_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="asyncio"):
        realtime_kit.connect("gpt-realtime", api_key=KEY, transport="webrtc")


def test_targets_webrtc_cannot_reach_are_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="sideband"):
        realtime_kit.connect(call_id="rtc_x", api_key=KEY, transport="webrtc")
    with pytest.raises(ConfigurationError, match="translation"):
        realtime_kit.connect(translation=True, api_key=KEY, transport="webrtc")
    with pytest.raises(ConfigurationError, match="transport='webrtc' only"):
        realtime_kit.connect("gpt-realtime", api_key=KEY, webrtc=LOOPBACK)
    with pytest.raises(ConfigurationError, match="'websocket', 'webrtc'"):
        realtime_kit.connect("gpt-realtime", api_key=KEY, transport="carrier-pigeon")  # type: ignore[arg-type]


def test_settings_and_sdp_facts_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        WebRTCConfig(local_addresses=("localhost",))
    with pytest.raises(ConfigurationError):
        WebRTCConfig(stall_timeout=0)
    with pytest.raises(ValueError, match="does not appear"), host_candidates(["not-an-address"]):
        pass
    assert max_message_size("v=0\r\n") == 65536
    assert max_message_size("a=max-message-size:0\r\n") is None
    assert max_message_size("a=max-message-size:262144\r\n") == 262144


def test_without_the_extra_the_import_names_it() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["aiortc"] = None
        try:
            import realtime_kit.transports.webrtc
        except ImportError as exc:
            print(type(exc).__name__, exc)
        import realtime_kit
        try:
            realtime_kit.connect("gpt-realtime", api_key="sk-x", transport="webrtc")
        except ImportError as exc:
            print(type(exc).__name__, exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert len(out) == 2
    for line in out:
        assert line.startswith("MissingExtraError")
        assert "realtime-kit[webrtc]" in line


async def test_an_answer_that_is_not_sdp_is_a_handshake_error() -> None:
    async def exchange(offer: str) -> tuple[str, str]:
        return "rtc_garbage", "v=0\r\nm=audio nonsense\r\n"

    with pytest.raises(HandshakeError, match="answer is unusable"):
        await WebRTCTransport.connect(exchange, LOOPBACK)


async def test_audio_frames_on_a_websocket_says_where_audio_is() -> None:
    async with (
        server() as srv,
        realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=srv.base_url) as conn,
    ):
        with pytest.raises(LocalProtocolError, match=r"output_audio\.delta"):
            await conn.audio_frames().__anext__()
