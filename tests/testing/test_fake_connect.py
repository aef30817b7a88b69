"""The fake server's handshake: lifecycle, addresses, auth, selectors, refusals."""

from __future__ import annotations

import threading

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from realtime_kit.testing import FakeClock, FakeRealtimeServer
from tests.testing._client import KEY, open_client

pytestmark = pytest.mark.anyio


async def test_addresses_and_session_created(server: FakeRealtimeServer) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert server.ws_base_url == f"ws://127.0.0.1:{server.port}/v1"
    c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime-2")
    created = await c.expect("session.created")
    session = created["session"]
    assert created["event_id"].startswith("event_")
    assert session["type"] == "realtime"
    assert session["model"] == "gpt-realtime-2"
    assert session["id"].startswith("sess_")
    td = session["audio"]["input"]["turn_detection"]
    assert (td["type"], td["threshold"], td["prefix_padding_ms"], td["silence_duration_ms"]) == (
        "server_vad",
        0.5,
        300,
        200,
    )
    assert session["audio"]["output"]["voice"] == "alloy"
    assert session["max_output_tokens"] == "inf"
    assert session["expires_at"] == int(server.clock.wall()) + 3600
    await c.close()


def test_sync_context_manager_from_plain_code() -> None:
    with FakeRealtimeServer(clock=FakeClock()) as server:
        answer = httpx.post(
            server.base_url + "/realtime/client_secrets",
            headers={"Authorization": f"Bearer {KEY}"},
            json={},
        )
        assert answer.status_code == 200
        assert threading.active_count() >= 2
    with pytest.raises(httpx.ConnectError):
        httpx.post(server.base_url.replace("/v1", "") + "/v1/realtime/client_secrets")


async def test_wrong_key_is_refused_with_401(server: FakeRealtimeServer) -> None:
    with pytest.raises(InvalidStatus) as info:
        await open_client(server.ws_base_url + "/realtime?model=gpt-realtime", key="nope")
    assert info.value.response.status_code == 401
    assert b"invalid_api_key" in info.value.response.body
    with pytest.raises(InvalidStatus) as info:
        await open_client(server.ws_base_url + "/realtime?model=gpt-realtime", key=None)
    assert info.value.response.status_code == 401


async def test_api_keys_restricts_accepted_keys() -> None:
    async with FakeRealtimeServer(clock=FakeClock(), api_keys=["sk-only"]) as server:
        with pytest.raises(InvalidStatus):
            await open_client(server.ws_base_url + "/realtime?model=gpt-realtime", key=KEY)
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime", key="sk-only")
        await c.expect("session.created")
        await c.close()


async def test_browser_subprotocol_auth_with_minted_key(server: FakeRealtimeServer) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            server.base_url + "/realtime/client_secrets",
            headers={"Authorization": f"Bearer {KEY}"},
            json={"session": {"type": "realtime", "instructions": "Be brief."}},
        )
    secret = answer.json()
    assert secret["value"].startswith("ek_")
    c = await open_client(
        server.ws_base_url + "/realtime",
        key=None,
        subprotocols=["realtime", f"openai-insecure-api-key.{secret['value']}"],
    )
    assert c.ws.subprotocol == "realtime"
    created = await c.expect("session.created")
    assert created["session"]["instructions"] == "Be brief."
    await c.close()


async def test_minted_key_expires(server: FakeRealtimeServer) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            server.base_url + "/realtime/client_secrets",
            headers={"Authorization": f"Bearer {KEY}"},
            json={"expires_after": {"anchor": "created_at", "seconds": 10}},
        )
    value = answer.json()["value"]
    c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime", key=value)
    await c.expect("session.created")
    assert isinstance(server.clock, FakeClock)
    server.clock.advance(11)
    with pytest.raises(InvalidStatus):
        await open_client(server.ws_base_url + "/realtime?model=gpt-realtime", key=value)
    # An open session outlives its secret.
    await c.send({"type": "input_audio_buffer.clear"})
    await c.expect("input_audio_buffer.cleared")
    await c.close()


async def test_beta_header_closes_with_4000(server: FakeRealtimeServer) -> None:
    c = await open_client(
        server.ws_base_url + "/realtime?model=gpt-realtime",
        headers={"OpenAI-Beta": "realtime=v1"},
    )
    assert await c.closed() == (4000, "beta_api_shape_disabled")


async def test_unknown_model_gets_error_then_close(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + "/realtime?model=gpt-5-turbo-voice")
    error = await c.expect("error")
    assert error["error"]["code"] == "invalid_model"
    assert error["error"]["param"] == "model"
    assert await c.closed() == (1008, "invalid_model")


async def test_transcription_intent_opens_transcription_session(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
    created = await c.expect("session.created")
    assert created["session"]["type"] == "transcription"
    assert "model" not in created["session"]
    await c.close()
    handle = server.connections[-1]
    assert handle.kind == "transcription"


async def test_translation_endpoint_needs_translate_model(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + "/realtime/translations?model=gpt-realtime")
    assert (await c.expect("error"))["error"]["code"] == "invalid_model"
    ok = await open_client(
        server.ws_base_url + "/realtime/translations?model=gpt-realtime-translate"
    )
    created = await ok.expect("session.created")
    assert created["session"]["type"] == "translation"
    assert created["session"]["model"] == "gpt-realtime-translate"
    await ok.close()


async def test_sideband_needs_a_known_call(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + "/realtime?call_id=rtc_nope")
    assert (await c.expect("error"))["error"]["code"] == "call_not_found"
    call_id = server.create_call(accepted=True, session={"instructions": "Answer the phone."})
    side = await open_client(server.ws_base_url + f"/realtime?call_id={call_id}")
    created = await side.expect("session.created")
    assert created["session"]["instructions"] == "Answer the phone."
    await side.close()
