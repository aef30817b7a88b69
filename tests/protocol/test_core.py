"""The sans-I/O protocol core, driven with wire JSON; no event loop anywhere."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from realtime_kit.errors import (
    AuthenticationError,
    LocalProtocolError,
    QuotaExceededError,
    RemoteProtocolError,
    SessionExpiredError,
)
from realtime_kit.events import (
    ConversationItemTruncateEvent,
    ErrorEvent,
    InputAudioBufferAppendEvent,
    InputAudioBufferCommitEvent,
    ResponseCancelEvent,
    ResponseCreateEvent,
    SessionCloseEvent,
    decode_client_event,
)
from realtime_kit.protocol import (
    RESPONSE_TRANSITIONS,
    RealtimeProtocol,
    next_response_state,
    plan_restore,
)

SESSION = {
    "type": "realtime",
    "id": "sess_1",
    "object": "realtime.session",
    "expires_at": 1_900_000_000,
    "model": "gpt-realtime-2",
    "instructions": "be brief",
    "audio": {
        "input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": None},
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
    },
}


def feed(core: RealtimeProtocol, **event: Any) -> Any:
    return core.receive(json.dumps(event))


def opened(session: dict[str, Any] | None = None, kind: str = "realtime") -> RealtimeProtocol:
    core = RealtimeProtocol(kind)  # type: ignore[arg-type]
    feed(core, type="session.created", event_id="e0", session=session or SESSION)
    return core


def audio_b64(ms: int) -> str:
    return base64.b64encode(b"\x00" * (48 * ms)).decode()


def user_item(item_id: str, text: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}],
    }


def test_session_created_opens_and_confirms_config() -> None:
    core = RealtimeProtocol()
    assert core.phase == "connecting"
    feed(core, type="session.created", event_id="e0", session=SESSION)
    assert core.phase == "open"
    assert core.session_id == "sess_1"
    assert core.expires_at == 1_900_000_000
    assert core.manual_turns
    feed(core, type="session.updated", session={**SESSION, "instructions": "be long"})
    assert core.session is not None
    assert core.session["instructions"] == "be long"


def test_items_follow_previous_item_id_not_arrival_order() -> None:
    core = opened()
    feed(core, type="conversation.item.added", previous_item_id=None, item=user_item("a", "1"))
    feed(core, type="conversation.item.added", previous_item_id="a", item=user_item("c", "3"))
    feed(core, type="conversation.item.added", previous_item_id="a", item=user_item("b", "2"))
    feed(core, type="conversation.item.added", previous_item_id=None, item=user_item("z", "0"))
    assert [r.id for r in core.items] == ["z", "a", "b", "c"]
    feed(core, type="conversation.item.deleted", item_id="b")
    assert [r.id for r in core.items] == ["z", "a", "c"]
    assert core.item("a") is not None
    assert core.item("a").texts == {0: "1"}  # type: ignore[union-attr]


def test_unknown_previous_item_is_a_violation_or_strict_error() -> None:
    core = opened()
    feed(core, type="conversation.item.added", previous_item_id="ghost", item=user_item("a", "1"))
    assert [r.id for r in core.items] == ["a"]
    assert len(core.violations) == 1
    strict = RealtimeProtocol(strict=True)
    with pytest.raises(RemoteProtocolError):
        feed(
            strict,
            type="conversation.item.added",
            previous_item_id="ghost",
            item=user_item("a", "1"),
        )


def test_response_lifecycle_and_single_active_response() -> None:
    core = opened()
    data = core.send(ResponseCreateEvent())
    sent = json.loads(data)
    assert sent["type"] == "response.create"
    assert sent["event_id"].startswith("rk_")
    assert core.active_response is not None
    assert core.active_response.state == "requested"
    # An out-of-band response may run alongside.
    core.send(decode_client_event('{"type":"response.create","response":{"conversation":"none"}}'))
    feed(
        core,
        type="response.created",
        response={"id": "r1", "status": "in_progress", "conversation_id": "conv_1"},
    )
    assert core.active_response is not None
    assert core.active_response.id == "r1"
    assert core.active_response.state == "in_progress"
    with pytest.raises(LocalProtocolError) as info:
        core.send(ResponseCreateEvent())
    assert info.value.action == "create a response"
    assert "r1 is in_progress" in info.value.state
    feed(
        core,
        type="response.output_audio.delta",
        response_id="r1",
        item_id="it1",
        output_index=0,
        content_index=0,
        delta=audio_b64(250),
    )
    assert core.audio_received_ms("it1") == pytest.approx(250)
    core.send(ResponseCancelEvent())
    assert core.active_response is not None
    assert core.active_response.state == "cancelling"
    feed(core, type="response.done", response={"id": "r1", "status": "cancelled"})
    assert core.active_response is None
    assert {r.id: r.state for r in core.responses}["r1"] == "cancelled"
    with pytest.raises(LocalProtocolError, match="r1 not in progress"):
        core.send(ResponseCancelEvent(response_id="r1"))


def test_output_after_done_is_a_violation() -> None:
    core = opened()
    feed(core, type="response.created", response={"id": "r1", "status": "in_progress"})
    feed(core, type="response.done", response={"id": "r1", "status": "completed"})
    feed(
        core,
        type="response.output_text.delta",
        response_id="r1",
        item_id="i",
        output_index=0,
        content_index=0,
        delta="x",
    )
    assert any("illegal while completed" in str(v) for v in core.violations)


def test_transition_table_is_the_single_source() -> None:
    assert next_response_state("requested", "created") == "in_progress"
    assert next_response_state("completed", "output") is None
    finals = {
        state for (_, trigger), state in RESPONSE_TRANSITIONS.items() if trigger.startswith("done:")
    }
    assert finals == {"completed", "cancelled", "failed", "incomplete"}


def test_error_is_tied_to_its_cause_and_rejects_the_request() -> None:
    core = opened()
    create = ResponseCreateEvent(event_id="mine_1")
    core.send(create)
    error = feed(
        core,
        type="error",
        event_id="e9",
        error={
            "type": "invalid_request_error",
            "code": "conversation_already_has_active_response",
            "message": "busy",
            "event_id": "mine_1",
        },
    )
    assert isinstance(error, ErrorEvent)
    cause = core.cause_of(error)
    assert cause is not None
    assert cause.type == "response.create"
    assert core.active_response is None
    assert core.fatal is None


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("invalid_api_key", AuthenticationError),
        ("insufficient_quota", QuotaExceededError),
        ("session_expired", SessionExpiredError),
    ],
)
def test_fatal_errors_are_typed(code: str, cls: type[Exception]) -> None:
    core = opened()
    feed(core, type="error", error={"type": "invalid_request_error", "code": code, "message": "m"})
    assert isinstance(core.fatal, cls)


def test_manual_commit_needs_100_ms_and_resets_buffer() -> None:
    core = opened()
    core.send(InputAudioBufferAppendEvent(audio=audio_b64(40)))
    assert core.buffered_input_ms == pytest.approx(40)
    with pytest.raises(LocalProtocolError) as info:
        core.send(InputAudioBufferCommitEvent())
    assert "40 ms" in info.value.state
    core.send(InputAudioBufferAppendEvent(audio=audio_b64(80)))
    core.send(InputAudioBufferCommitEvent())
    assert core.buffered_input_ms == 0
    feed(core, type="input_audio_buffer.committed", item_id="u1", previous_item_id=None)
    assert [r.id for r in core.items] == ["u1"]


def test_truncate_is_checked_against_audio_received() -> None:
    core = opened()
    feed(core, type="response.created", response={"id": "r1", "status": "in_progress"})
    for _ in range(2):
        feed(
            core,
            type="response.output_audio.delta",
            response_id="r1",
            item_id="a1",
            output_index=0,
            content_index=0,
            delta=audio_b64(100),
        )
    with pytest.raises(LocalProtocolError, match="only 200 ms"):
        core.send(ConversationItemTruncateEvent(item_id="a1", content_index=0, audio_end_ms=900))
    with pytest.raises(LocalProtocolError, match="unknown item"):
        core.send(ConversationItemTruncateEvent(item_id="nope", content_index=0, audio_end_ms=1))
    core.send(ConversationItemTruncateEvent(item_id="a1", content_index=0, audio_end_ms=150))
    feed(core, type="conversation.item.truncated", item_id="a1", content_index=0, audio_end_ms=150)
    assert core.audio_received_ms("a1") == 150


def test_session_kind_gates_client_events() -> None:
    core = opened(
        {"type": "transcription", "id": "sess_t", "object": "realtime.transcription_session"},
        "transcription",
    )
    with pytest.raises(LocalProtocolError, match="transcription session"):
        core.send(ResponseCreateEvent())
    translation = RealtimeProtocol("translation")
    translation.send(SessionCloseEvent())
    with pytest.raises(LocalProtocolError, match="closing"):
        translation.send(SessionCloseEvent())


def test_kind_mismatch_in_session_created_is_a_violation() -> None:
    core = opened(
        {
            "type": "translation",
            "id": "s",
            "model": "gpt-realtime-translate",
            "expires_at": 1,
            "audio": {"output": {"language": "es"}},
        },
        "realtime",
    )
    assert core.violations


def test_restore_plan_replays_text_and_transcripts_and_reports_losses() -> None:
    core = opened()
    feed(
        core,
        type="conversation.item.added",
        previous_item_id=None,
        item={
            "id": "sys",
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "rules"}],
        },
    )
    feed(core, type="input_audio_buffer.committed", item_id="u1", previous_item_id="sys")
    feed(
        core,
        type="conversation.item.added",
        previous_item_id="sys",
        item={
            "id": "u1",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        },
    )
    feed(
        core,
        type="conversation.item.input_audio_transcription.completed",
        item_id="u1",
        content_index=0,
        transcript="hello there",
        usage={"type": "duration", "seconds": 1},
    )
    feed(
        core,
        type="conversation.item.added",
        previous_item_id="u1",
        item={"id": "u2", "type": "message", "role": "user", "content": [{"type": "input_audio"}]},
    )
    feed(core, type="response.created", response={"id": "r1", "status": "in_progress"})
    feed(
        core,
        type="conversation.item.added",
        previous_item_id="u2",
        item={"id": "a1", "type": "message", "role": "assistant", "content": []},
    )
    feed(
        core,
        type="response.output_audio_transcript.done",
        response_id="r1",
        item_id="a1",
        output_index=0,
        content_index=0,
        transcript="hi!",
    )
    feed(core, type="response.done", response={"id": "r1", "status": "completed"})
    feed(core, type="response.created", response={"id": "r2", "status": "in_progress"})
    feed(
        core,
        type="conversation.item.added",
        previous_item_id="a1",
        item={"id": "a2", "type": "message", "role": "assistant", "content": []},
    )
    feed(
        core,
        type="response.output_text.delta",
        response_id="r2",
        item_id="a2",
        output_index=0,
        content_index=0,
        delta="par",
    )
    core.send(InputAudioBufferAppendEvent(audio=audio_b64(60)))

    plan = plan_restore(core)
    payloads = [json.loads(e.model_dump_json(exclude_unset=True)) for e in plan.events]
    update = payloads[0]
    assert update["type"] == "session.update"
    assert update["session"]["instructions"] == "be brief"
    assert update["session"]["audio"]["input"]["turn_detection"] is None
    assert "id" not in update["session"]
    assert "expires_at" not in update["session"]
    created = [p["item"] for p in payloads[1:]]
    assert [i["id"] for i in created] == ["sys", "u1", "a1"]
    assert created[1]["content"] == [{"type": "input_text", "text": "hello there"}]
    assert created[2] == {
        "id": "a1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "hi!"}],
    }
    assert plan.restored_items == ["sys", "u1", "a1"]
    lost = {entry.what: entry.reason for entry in plan.lost}
    assert "response r2" in lost
    assert "item u2" in lost
    assert "item a2" in lost
    assert any("uncommitted input audio" in what for what in lost)


def _audio_delta(core: RealtimeProtocol, item_id: str, ms: int, index: int = 0) -> None:
    feed(
        core,
        type="response.output_audio.delta",
        response_id="r1",
        item_id=item_id,
        output_index=0,
        content_index=index,
        delta=audio_b64(ms),
    )


def test_streaming_audio_counts_every_delta_and_later_events_take_the_full_path() -> None:
    core = opened()
    feed(core, type="response.created", response={"id": "r1", "status": "in_progress"})
    for _ in range(5):
        _audio_delta(core, "a1", 20)  # the first goes the full way, the rest the short one
    _audio_delta(core, "a1", 40, index=1)
    _audio_delta(core, "a2", 60)  # another item: full path, placed after a1
    _audio_delta(core, "a1", 20)  # back to the first item
    assert core.audio_received_ms("a1") == 120
    assert [item.id for item in core.items] == ["a1", "a2"]
    assert core.audio_received_ms("a2") == 60
    feed(core, type="response.done", response={"id": "r1", "status": "completed"})
    _audio_delta(core, "a2", 20)  # late: the response is over, and it is noticed
    assert any("illegal while completed" in str(v) for v in core.violations)


def test_every_class_handle_matches_is_in_its_type_gate() -> None:
    """``apply`` skips types outside ``_STATE_EVENT_TYPES``: a new ``case`` must be added there.

    The ``match`` lives in ``_inbound.apply``, which ``handle`` runs inside its error boundary.
    """
    import inspect
    import re

    from realtime_kit import events
    from realtime_kit.protocol import _inbound

    source = inspect.getsource(_inbound.apply)
    names = set(re.findall(r"(\w+Event)\(\)", source))
    assert len(names) >= 15
    types = {getattr(events, name).model_fields["type"].default for name in names}
    assert types == set(_inbound._STATE_EVENT_TYPES)
