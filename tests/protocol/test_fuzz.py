"""State fuzz for the protocol core: any frame is parsed or refused with our error, and the
state stays consistent whatever order the server's events come in. No event loop."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.errors import DecodeError
from realtime_kit.protocol import RealtimeProtocol
from realtime_kit.protocol._tables import FINAL_RESPONSE_STATES, RESPONSE_TRANSITIONS

IDS = st.sampled_from(["a", "b", "c", "d", "root", None])
RESP = st.sampled_from(["r1", "r2", "r3"])
STATES = {state for _, state in RESPONSE_TRANSITIONS.items()} | {
    state for state, _ in RESPONSE_TRANSITIONS
}


def item(item_id: str | None, role: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": role,
        "content": [{"type": "input_text", "text": "x"}],
    }


events = st.one_of(
    st.builds(
        lambda i, p, r: {
            "type": "conversation.item.added",
            "previous_item_id": p,
            "item": item(i, r),
        },
        IDS,
        IDS,
        st.sampled_from(["user", "assistant", "system"]),
    ),
    st.builds(lambda i: {"type": "conversation.item.deleted", "item_id": i or "a"}, IDS),
    st.builds(
        lambda i, p: {
            "type": "input_audio_buffer.committed",
            "item_id": i or "a",
            "previous_item_id": p,
        },
        IDS,
        IDS,
    ),
    st.builds(
        lambda r: {"type": "response.created", "response": {"id": r, "status": "in_progress"}}, RESP
    ),
    st.builds(
        lambda r, s: {"type": "response.done", "response": {"id": r, "status": s}},
        RESP,
        st.sampled_from(["completed", "cancelled", "failed", "incomplete", "weird"]),
    ),
    st.builds(
        lambda r, i, n: {
            "type": "response.output_audio.delta",
            "response_id": r,
            "item_id": i or "a",
            "output_index": 0,
            "content_index": 0,
            "delta": "AAAA" * n,
        },
        RESP,
        IDS,
        st.integers(0, 50),
    ),
    st.builds(
        lambda i, ms: {
            "type": "conversation.item.truncated",
            "item_id": i or "a",
            "content_index": 0,
            "audio_end_ms": ms,
        },
        IDS,
        st.integers(0, 5000),
    ),
    st.builds(
        lambda c: {
            "type": "error",
            "error": {"type": "invalid_request_error", "code": c, "message": "m"},
        },
        st.sampled_from(["x", "invalid_value", "session_expired"]),
    ),
)

garbage = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3).map(json.dumps),
    events.map(lambda e: json.dumps({**e, "type": e["type"] + "x"})),
    events.map(lambda e: json.dumps({k: v for k, v in e.items() if k != "item"})),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(events.map(json.dumps), garbage), max_size=40))
def test_any_frames_parse_or_raise_decode_error_and_state_stays_consistent(
    frames: list[str | bytes],
) -> None:
    core = RealtimeProtocol()
    core.receive(
        json.dumps(
            {
                "type": "session.created",
                "session": {"type": "realtime", "id": "s", "object": "realtime.session"},
            }
        )
    )
    for frame in frames:
        try:
            core.receive(frame)
        except DecodeError:
            continue
    ids = [record.id for record in core.items]
    assert len(ids) == len(set(ids))
    assert all(core.item(item_id) is not None for item_id in ids)
    for record in core.responses:
        assert record.state in STATES
    active = core.active_response
    assert active is None or active.state not in FINAL_RESPONSE_STATES
    for record in core.items:
        assert all(ms >= 0 for ms in record.audio_ms.values())
