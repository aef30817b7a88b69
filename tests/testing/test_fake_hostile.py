"""The fake server against a hostile client (issue 12, defect 4): every bad frame gets the real
protocol's ``error`` and the session survives; ``ConnectionHandle.close_code`` says what happened.

The fuzz (``tests/testing/hostile.py``) runs in-process on both anyio backends and, in a
subprocess, under a plain ``asyncio.run``, ``uvloop.run`` and ``trio.run`` the way a user's own
test would drive it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedBrain, TurnContext
from realtime_kit.testing._realtime import RealtimeSession
from tests.testing._client import Client, open_client
from tests.testing.hostile import ROOT, Mutator, attack, huge_append

pytestmark = pytest.mark.anyio

_PROBE = {"type": "conversation.item.retrieve", "item_id": "item_probe", "event_id": "probe"}


async def _answer_then_alive(client: Client, frame: str) -> dict[str, Any]:
    """Send ``frame`` and a probe; return the frame's error, asserting the probe is answered."""
    await client.send_raw(frame)
    await client.send(_PROBE)
    error = await client.expect("error")
    probe = await client.expect("error")
    assert probe["error"]["event_id"] == "probe", probe
    assert probe["error"]["code"] == "item_retrieve_invalid_item_id"
    return dict(error["error"])


_DEEP_OBJECT = '{"type":"session.update","session":' + '{"a":' * 50_000


# (frame, error code, error param (None: not checked), error.event_id)
_CASES: list[tuple[str, str, str | None, str | None]] = [
    # The three that killed sessions before (issue 12, defect 4).
    ('{"type":"input_audio_buffer.clear","event_id":7}', "invalid_type", "event_id", None),
    ("[" * 100_000, "invalid_json", None, None),
    (
        '{"type":"session.update","event_id":"e1",'
        '"session":{"type":"realtime","audio":{"input":null}}}',
        "invalid_type",
        "session.audio.input",
        "e1",
    ),
    # Wrong types everywhere, unknown types, no type, not an object, not JSON.
    (
        '{"type":"input_audio_buffer.clear","event_id":{"a":[]}}',
        "invalid_type",
        "event_id",
        None,
    ),
    (_DEEP_OBJECT, "invalid_json", None, None),
    (
        '{"type":"session.update","session":{"type":"realtime","audio":null}}',
        "invalid_type",
        "session.audio",
        None,
    ),
    (
        '{"type":"session.update","event_id":"e2","session":{"type":"realtime",'
        '"instructions":null}}',
        "invalid_type",
        "session.instructions",
        "e2",
    ),
    (
        '{"type":"conversation.item.create","event_id":"e3","item":{"type":[]}}',
        "invalid_value",
        None,
        "e3",
    ),
    (
        '{"type":"conversation.item.create","event_id":"e4","item":{}}',
        "missing_required_parameter",
        "item.type",
        "e4",
    ),
    (
        '{"type":"conversation.item.create","event_id":"e5","item":{"type":"message",'
        '"role":["user"],"content":[]}}',
        "invalid_value",
        None,
        "e5",
    ),
    (
        '{"type":"conversation.item.truncate","event_id":"e6","item_id":"x",'
        '"content_index":0,"audio_end_ms":"10"}',
        "invalid_type",
        "audio_end_ms",
        "e6",
    ),
    (
        '{"type":"response.create","event_id":"e7","response":{"output_modalities":null}}',
        "invalid_type",
        "response.output_modalities",
        "e7",
    ),
    (
        '{"type":"response.create","event_id":"e8","response":{"input":[{"type":"message",'
        '"role":"user","content":[1.5]}]}}',
        "invalid_type",
        "response.input[0].content[0]",
        "e8",
    ),
    (
        '{"type":"response.create","event_id":"e9","response":{"metadata":{"k":7}}}',
        "invalid_type",
        "response.metadata.k",
        "e9",
    ),
    ('{"type":[],"event_id":"e10"}', "invalid_type", "type", "e10"),
    ('{"event_id":"e11"}', "missing_required_parameter", "type", "e11"),
    ('{"type":"session.close","event_id":"e12"}', "invalid_value", "type", "e12"),
    (
        '{"type":"input_audio_buffer.append","event_id":"e13","audio":"%%%"}',
        "invalid_value",
        "audio",
        "e13",
    ),
    ("[1, 2]", "invalid_type", None, None),
    ("null", "invalid_type", None, None),
    ("", "invalid_json", None, None),
    ('{"type":"response.create","event_id":"\\ud800"}', "invalid_json", None, None),
]


async def test_bad_frames_get_the_real_error_and_the_session_lives(
    server: FakeRealtimeServer, client: Client
) -> None:
    for frame, code, param, event_id in _CASES:
        error = await _answer_then_alive(client, frame)
        shown = frame[:120]
        assert error["type"] == "invalid_request_error", (shown, error)
        assert error["code"] == code, (shown, error)
        assert error["event_id"] == event_id, (shown, error)
        if param is not None:
            assert error["param"] == param, (shown, error)
    assert not server.internal_errors
    assert server.connections[0].close_code is None  # one session took them all


async def test_an_append_over_15_mib_is_refused_and_the_session_lives(client: Client) -> None:
    error = await _answer_then_alive(client, huge_append())
    assert (error["code"], error["param"], error["event_id"]) == (
        "invalid_value",
        "audio",
        "evt_big",
    )


async def test_a_frame_over_the_frame_cap_closes_1009_and_the_handle_says_so(
    server: FakeRealtimeServer, client: Client
) -> None:
    # Past the server's 32 MiB frame cap the WebSocket layer answers "message too big" and
    # stops reading; the client may see the close frame or, still sending, a reset.
    with contextlib.suppress(ConnectionClosed):
        await client.send_raw("x" * (33 * 1024 * 1024))
        code, _reason = await client.closed()
        assert code in (1009, None)
    handle = server.connections[0]
    assert handle.ended.wait(5)
    assert handle.close_code == 1009


async def test_close_code_is_the_clients_own(server: FakeRealtimeServer) -> None:
    client = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
    await client.expect("session.created")
    await client.send_raw("[" * 100_000)
    await client.expect("error")
    await client.close_with(4321, "done here")
    handle = server.connections[0]
    assert handle.ended.wait(5)
    assert (handle.close_code, handle.close_reason) == (4321, "done here")


async def test_a_brain_that_raises_fails_the_response_not_the_session(
    expect_internal_errors: None,
) -> None:
    def broken(context: TurnContext) -> str:
        raise ValueError("the brain broke")

    async with FakeRealtimeServer(clock=FakeClock(), brain=ScriptedBrain(func=broken)) as server:
        client = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await client.expect("session.created")
        await client.send({"type": "response.create"})
        done = (await client.recv_until("response.done"))[-1]
        assert done["response"]["status"] == "failed"
        assert done["response"]["status_details"]["error"]["type"] == "server_error"
        error = await _answer_then_alive(client, '{"type":"response.cancel","event_id":"c"}')
        assert error["code"] == "response_cancel_not_active"
        assert server.internal_errors.count == 1
        assert "the brain broke" in str(server.internal_errors)
        await client.close()


async def test_a_failure_in_a_handler_is_a_server_error_and_the_session_lives(
    expect_internal_errors: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: RealtimeSession, event: dict[str, Any], eid: Any) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(RealtimeSession, "_on_input_audio_buffer_clear", broken)
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        client = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await client.expect("session.created")
        error = await _answer_then_alive(
            client, '{"type":"input_audio_buffer.clear","event_id":"c1"}'
        )
        assert (error["type"], error["event_id"]) == ("server_error", "c1")
        assert server.internal_errors.count == 1
        await client.close()


async def test_a_session_that_fails_outright_closes_1011_and_says_so(
    expect_internal_errors: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: RealtimeSession, text: str) -> None:
        raise RuntimeError("the loop broke")

    monkeypatch.setattr(RealtimeSession, "handle", broken)
    async with FakeRealtimeServer(clock=FakeClock()) as server:
        client = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await client.expect("session.created")
        await client.send({"type": "input_audio_buffer.clear"})
        code, reason = await client.closed()
        assert (code, reason) == (1011, "internal error")
        handle = server.connections[0]
        assert handle.ended.wait(5)
        assert handle.close_code == 1011
        assert server.internal_errors.count == 1


async def test_hostile_fuzz_in_process(server: FakeRealtimeServer) -> None:
    report = await attack(server.ws_base_url + "/realtime?model=gpt-realtime-2", 100, seed=11)
    assert report.inputs == 100
    assert report.deaths == 0, report.violations
    assert report.violations == []
    assert report.answered_with_error > 40  # most hostile frames are refused
    assert not server.internal_errors


_FRAMES = int(os.environ.get("RK_HOSTILE_FRAMES", "150"))


def test_hostile_fuzz_under_plain_runners() -> None:
    """The client under the event loops a user's test would start (``asyncio.run``,
    ``uvloop.run``, ``trio.run``), in a process of its own. (Set ``RK_HOSTILE_FRAMES`` for a
    longer run.) The official-types check runs in the in-process test above."""
    runners = ["asyncio", "trio"]
    if importlib.util.find_spec("uvloop") is not None:
        runners.insert(1, "uvloop")
    command = [sys.executable, "-m", "tests.testing.hostile", "--no-validate"]
    command += [f"--runner={r}" for r in runners] + [f"--frames={_FRAMES}", "--seed=5"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["runner"] for r in results] == runners
    for result in results:
        assert result["inputs"] == _FRAMES
        assert result["deaths"] == 0, result["violations"]
        assert result["violation_count"] == 0, result["violations"]
        assert result["internal_errors"] == 0, result
        assert result["close_codes"] == [1000], result


def test_the_fuzz_is_reproducible() -> None:
    a, b = Mutator(3), Mutator(3)
    frames = [a.frame() for _ in range(300)]
    assert [f.text for f in frames] == [b.frame().text for _ in range(300)]
    # Every kind of hostility is in a run of this size.
    kinds = {f.kind.split(" ")[0] for f in frames}
    assert {"garbage", "mutated", "drop", "wrong-type", "unknown", "no"} <= kinds
