"""A malformed server event is a typed violation, reported and skipped; the next one arrives.

Issue 12, defect 2: exceptions other than ``DecodeError`` escaped the decoder and the protocol
core (a ``TypeError`` for a list where a union tag belongs, a ``ZeroDivisionError`` for an
output ``rate`` under 500), the connection's receive path caught only ``DecodeError``, and so
the socket was aborted and every other frame of that read was lost.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_kit.errors import DecodeError, RemoteProtocolError
from realtime_kit.events import (
    RateLimitsUpdatedEvent,
    ResponseOutputAudioDeltaEvent,
    ServerEventBase,
    decode_client_event,
    decode_server_event,
)
from realtime_kit.protocol import RealtimeProtocol
from tests.connection._events import until
from tests.reliability._client import attached
from tests.reliability.hostile import (
    AwaitFrame,
    HostileServer,
    Send,
    SendRaw,
    session_created,
    text_frame,
)

ESCAPED_THE_DECODER = [
    '{"type":"conversation.item.added","event_id":"e","item":{"type":[]}}',
    '{"type":"conversation.item.added","event_id":"e","item":{"type":{}}}',
    '{"type":"conversation.item.done","event_id":"e","item":{"type":[1,2]}}',
    '{"type":"session.created","event_id":"e","session":{"type":[]}}',
    '{"type":"response.done","event_id":"e","response":{"output":[{"type":[]}]}}',
    '{"type":"conversation.item.create","item":{"type":{}}}',
    '{"type":"session.update","session":{"type":[]}}',
]


@pytest.mark.parametrize("frame", ESCAPED_THE_DECODER)
def test_the_decoders_raise_decode_error_and_nothing_else(frame: str) -> None:
    for decode in (decode_server_event, decode_client_event):
        try:
            event = decode(frame)
        except DecodeError:
            continue
        # A payload that one direction does not model is still a typed (unknown) event.
        assert isinstance(event, ServerEventBase) or event.type


def created(**audio: Any) -> str:
    return json.dumps(session_created(audio=audio))


def delta(n: int = 0, item: str = "item_1") -> str:
    return json.dumps(
        {
            "type": "response.output_audio.delta",
            "event_id": f"event_d{n}",
            "response_id": "resp_1",
            "item_id": item,
            "output_index": 0,
            "content_index": 0,
            "delta": "AAAA" * 10,
        }
    )


@pytest.mark.parametrize("rate", [0, 1, 100, 499, -24000])
@pytest.mark.parametrize("direction", ["input", "output"])
def test_an_impossible_audio_rate_is_a_violation_not_a_crash(rate: int, direction: str) -> None:
    core = RealtimeProtocol()
    core.receive(created(**{direction: {"format": {"type": "audio/pcm", "rate": rate}}}))
    assert any("rate" in str(v) for v in core.violations)
    assert core.input_bytes_per_ms > 0
    core.receive(delta())
    assert core.audio_received_ms("item_1") > 0
    assert core.buffered_input_ms == 0


def test_a_session_update_with_an_impossible_rate_keeps_the_last_good_one() -> None:
    core = RealtimeProtocol()
    core.receive(created(input={"format": {"type": "audio/pcm", "rate": 16000}}))
    assert core.input_bytes_per_ms == 32
    updated = {"type": "session.updated", "event_id": "e2", "session": {"type": "realtime"}}
    updated["session"]["audio"] = {"input": {"format": {"type": "audio/pcm", "rate": 7}}}
    core.receive(json.dumps(updated))
    assert core.input_bytes_per_ms == 32
    assert core.violations


def test_the_core_raises_only_typed_errors_and_keeps_working() -> None:
    core = RealtimeProtocol()
    core.receive(created())
    for frame in [*ESCAPED_THE_DECODER, "[", '{"type": 5}', '"\\udcff"', "\udcff", b"\xff\xfe"]:
        try:
            event = core.receive(frame)
        except (DecodeError, RemoteProtocolError):
            continue
        assert isinstance(event, ServerEventBase)
    assert core.receive(delta()).type == "response.output_audio.delta"


@pytest.mark.anyio
async def test_a_malformed_frame_is_skipped_and_the_next_in_the_same_read_is_delivered() -> None:
    bad = '{"type":"conversation.item.added","event_id":"e_bad","item":{"type":[]}}'
    good = json.dumps(
        {
            "type": "rate_limits.updated",
            "event_id": "event_after",
            "rate_limits": [{"name": "requests", "limit": 1, "remaining": 1, "reset_seconds": 1}],
        }
    )
    # Both in one TCP write: they reach the client in one read, one callback.
    script = [Send(session_created()), AwaitFrame(), SendRaw(text_frame(bad) + text_frame(good))]
    with HostileServer(script) as server:
        async with attached(server) as conn:
            seen = await until(conn, RateLimitsUpdatedEvent)
            assert seen[-1].event_id == "event_after"
            assert [type(v) for v in conn.protocol.violations] == [RemoteProtocolError]
            assert "conversation.item.added" in str(conn.protocol.violations[0])
            assert conn.restores == []
        assert server.connections == 1


@pytest.mark.anyio
async def test_an_impossible_rate_from_the_server_does_not_end_the_session() -> None:
    script = [
        Send(session_created(audio={"output": {"format": {"type": "audio/pcm", "rate": 100}}})),
        AwaitFrame(),
        Send(delta(1)),
        Send(delta(2)),
    ]
    with HostileServer(script) as server:
        async with attached(server) as conn:
            seen = await until(conn, ResponseOutputAudioDeltaEvent)
            seen += await until(conn, ResponseOutputAudioDeltaEvent)
            assert [event.event_id for event in seen[-2:]] == ["event_d1", "event_d2"]
            assert conn.restores == []
            assert conn.protocol.audio_received_ms("item_1") > 0
        assert server.connections == 1
