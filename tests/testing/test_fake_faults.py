"""Fault injection, transcription timing faults, recording and replay."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from realtime_kit.testing import FakeClock, FakeRealtimeServer, ReplayServer, load_recording
from tests.testing._client import KEY, Client, open_client, types

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


REALTIME = "/realtime?model=gpt-realtime"
TRANSCRIBE = {"model": "gpt-4o-transcribe"}


async def test_drop_mid_response_is_1006(server: FakeRealtimeServer) -> None:
    server.faults.drop_on("response.output_audio.delta", nth=2)
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    await c.send({"type": "response.create"})
    assert await c.closed() == (None, "")  # no close frame: an abnormal closure
    handle = (await server.wait_for_connections(1))[0]
    await __import__("anyio").to_thread.run_sync(handle.ended.wait, 5)
    assert handle.close_code == 1006


async def test_close_with_any_code_per_connection(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    (handle,) = await server.wait_for_connections(1)
    handle.faults.close_on("response.created", 4321, "custom reason")
    await c.send({"type": "response.create"})
    assert await c.closed() == (4321, "custom reason")
    other = await open_client(server.ws_base_url + REALTIME)
    await other.expect("session.created")
    await other.send({"type": "response.create"})
    assert (await other.expect("response.created"))["type"] == "response.created"
    await other.close()


async def test_close_and_send_from_the_test(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    (handle,) = await server.wait_for_connections(1)
    handle.send_soon({"type": "input_audio_buffer.cleared"})
    assert "event_id" in await c.expect("input_audio_buffer.cleared")
    handle.close_soon(1011, "going away")
    assert await c.closed() == (1011, "going away")


async def test_injected_errors_after_events(server: FakeRealtimeServer) -> None:
    server.faults.error_after("response.created", "rate_limit_exceeded")
    server.faults.error_after("response.done", "insufficient_quota")
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    await c.send({"type": "response.create"})
    events = await c.recv_until("response.done")
    assert types(events)[:2] == ["response.created", "error"]
    assert events[1]["error"]["code"] == "rate_limit_exceeded"
    quota = await c.expect("error")
    assert (quota["error"]["type"], quota["error"]["code"]) == (
        "insufficient_quota",
        "insufficient_quota",
    )
    await c.close()


async def test_stall_holds_frames_until_release(server: FakeRealtimeServer) -> None:
    server.faults.stall("response.output_item.added")
    server.faults.delay("response.created", 0.01)
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    await c.send({"type": "response.create"})
    await c.expect("response.created")
    await c.expect("rate_limits.updated")
    with pytest.raises(TimeoutError):
        await c.recv(wait=0.2)
    server.faults.release()
    assert (await c.recv())["type"] == "response.output_item.added"
    await c.close()


async def test_reject_truncate_fault(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    await c.send({"type": "response.create"})
    item_id = (await c.recv_until("response.done"))[-1]["response"]["output"][0]["id"]
    server.faults.reject_truncate("Truncation failed.")
    truncate = {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": 0,
        "audio_end_ms": 100,
    }
    await c.send(truncate)
    assert (await c.expect("error"))["error"]["message"] == "Truncation failed."
    await c.send(truncate)
    await c.expect("conversation.item.truncated")
    await c.close()


async def _speak_turn(c: Client, server: FakeRealtimeServer, text: str) -> None:
    await c.append(server.speak(text))
    await c.send({"type": "input_audio_buffer.commit"})


async def test_late_transcriptions_arrive_after_the_response(server: FakeRealtimeServer) -> None:
    server.faults.late_transcriptions()
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    await c.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"transcription": TRANSCRIBE, "turn_detection": None}},
            },
        }
    )
    await c.expect("session.updated")
    await _speak_turn(c, server, "Tell me a story please.")
    await c.send({"type": "response.create"})
    events = await c.recv_until("conversation.item.input_audio_transcription.completed")
    order = types(events)
    assert order.index("response.done") < order.index(
        "conversation.item.input_audio_transcription.completed"
    )
    await c.close()


async def test_out_of_order_and_failed_transcriptions(server: FakeRealtimeServer) -> None:
    server.faults.out_of_order_transcriptions()
    c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
    await c.expect("session.created")
    await c.send(
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"transcription": TRANSCRIBE, "turn_detection": None}},
            },
        }
    )
    await c.expect("session.updated")
    await _speak_turn(c, server, "First sentence here.")
    first = (await c.recv_until("input_audio_buffer.committed"))[-1]["item_id"]
    await _speak_turn(c, server, "Second sentence here.")
    events = await c.recv_until("conversation.item.input_audio_transcription.completed")
    second = next(e for e in events if e["type"] == "input_audio_buffer.committed")["item_id"]
    assert events[-1]["item_id"] == second
    late = await c.recv_until("conversation.item.input_audio_transcription.completed")
    assert late[-1]["item_id"] == first
    assert late[-1]["transcript"] == "First sentence here."
    server.faults.transcription_mode = "normal"
    server.faults.fail_transcriptions()
    await _speak_turn(c, server, "Third sentence here.")
    failed = (await c.recv_until("conversation.item.input_audio_transcription.failed"))[-1]
    assert failed["error"]["code"] == "audio_unintelligible"
    await c.close()


async def test_a_lone_held_transcription_goes_out_after_a_second() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock, seed=3) as server:
        server.faults.out_of_order_transcriptions()
        c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
        await c.expect("session.created")
        await c.send(
            {
                "type": "session.update",
                "session": {
                    "type": "transcription",
                    "audio": {"input": {"transcription": TRANSCRIBE, "turn_detection": None}},
                },
            }
        )
        await c.expect("session.updated")
        await _speak_turn(c, server, "Only one sentence.")
        item = (await c.recv_until("input_audio_buffer.committed"))[-1]["item_id"]
        with pytest.raises(TimeoutError):
            await c.recv_until("conversation.item.input_audio_transcription.completed", wait=0.3)
        clock.advance(1.0)  # no second item came to swap with: it is released, not lost
        done = await c.recv_until("conversation.item.input_audio_transcription.completed")
        assert done[-1]["item_id"] == item
        assert done[-1]["transcript"] == "Only one sentence."
        await c.close()


async def test_rest_faults(server: FakeRealtimeServer) -> None:
    server.faults.rest_error(429, path_contains="client_secrets")
    server.faults.rest_error(500)
    server.faults.rest_error(401)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        limited = await http.post("/realtime/client_secrets", json={})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        broken = await http.post("/realtime/client_secrets", json={})
        assert broken.status_code == 500
        denied = await http.post("/realtime/client_secrets", json={})
        assert (denied.status_code, denied.json()["error"]["code"]) == (401, "invalid_api_key")
        ok = await http.post("/realtime/client_secrets", json={})
        assert ok.status_code == 200


async def test_call_control_errors(server: FakeRealtimeServer) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        missing = await http.post("/realtime/calls/rtc_nope/accept", json={"type": "realtime"})
        assert missing.status_code == 404
        call_id = server.create_call()
        rejected = await http.post(f"/realtime/calls/{call_id}/reject", json={"status_code": 486})
        assert rejected.status_code == 200
        assert server.call(call_id).reject_status == 486
        again = await http.post(f"/realtime/calls/{call_id}/accept", json={"type": "realtime"})
        assert again.status_code == 400
        bad = await http.post(f"/realtime/calls/{call_id}/refer", json={"target_uri": "x"})
        assert bad.status_code == 400
        offer = await http.post(
            "/realtime/calls", content="v=0\r\n", headers={"Content-Type": "application/sdp"}
        )
        assert (offer.status_code, offer.json()["error"]["code"]) == (501, "webrtc_unavailable")


async def test_hangup_closes_the_sideband_socket(server: FakeRealtimeServer) -> None:
    call_id = server.create_call(accepted=True)
    c = await open_client(server.ws_base_url + f"/realtime?call_id={call_id}")
    await c.expect("session.created")
    await server.wait_for_connections(1)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        answer = await http.post(
            f"/realtime/calls/{call_id}/hangup", headers={"Authorization": f"Bearer {KEY}"}
        )
    assert answer.status_code == 200
    assert await c.closed() == (1000, "call ended")


async def test_recording_redacts_secrets_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    async with FakeRealtimeServer(clock=FakeClock(), record_to=path, seed=5) as server:
        c = await open_client(server.ws_base_url + REALTIME)
        await c.expect("session.created")
        await c.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "instructions": f"token sk-live-{'x' * 20} here"},
            }
        )
        updated = await c.expect("session.updated")
        await c.send({"type": "response.create"})
        live = [updated, *await c.recv_until("response.done")]
        await c.close()
    text = path.read_text()
    assert "sk-live-" not in text
    assert "[redacted]" in text
    records = load_recording(path)
    assert records[0]["dir"] == "open"
    assert {r["dir"] for r in records} >= {"open", "in", "out", "close"}
    assert all(isinstance(r["t"], float | int) for r in records)
    async with ReplayServer(path) as replay:
        r = await open_client(replay.ws_base_url + REALTIME)
        await r.expect("session.created")
        await r.send({"type": "session.update", "session": {"type": "realtime"}})
        replayed_update = await r.expect("session.updated")
        await r.send({"type": "response.create"})
        replayed = [replayed_update, *await r.recv_until("response.done")]
        await r.close()
    assert types(replayed) == types(live)
    assert json.dumps(replayed[-1]["response"]["usage"]) == json.dumps(
        live[-1]["response"]["usage"]
    )


async def test_failed_response_fault(server: FakeRealtimeServer) -> None:
    server.faults.fail_responses("server_error")
    c = await open_client(server.ws_base_url + REALTIME)
    await c.expect("session.created")
    await c.send({"type": "response.create"})
    done = (await c.recv_until("response.done"))[-1]["response"]
    assert done["status"] == "failed"
    assert done["status_details"]["error"]["type"] == "server_error"
    assert done["output"] == []
    await c.send({"type": "response.create"})
    assert (await c.recv_until("response.done"))[-1]["response"]["status"] == "completed"
    await c.close()


async def test_restart_keeps_the_port_and_drops_sessions() -> None:
    server = FakeRealtimeServer(clock=FakeClock())
    async with server:
        port = server.port
        c = await open_client(server.ws_base_url + REALTIME)
        await c.expect("session.created")
    await c.closed()  # the old session is gone (uvicorn says 1012, or the socket just ends)
    async with server:
        assert server.port == port
        again = await open_client(server.ws_base_url + REALTIME)
        await again.expect("session.created")
        await again.close()
