"""The response scheduler: never a second default response, matched by tag, races recovered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.conversation._scheduler import ResponseScheduler
from realtime_kit.errors import ConfigurationError
from realtime_kit.events import ResponseCancelEvent
from tests.conversation import _script as s


def _send(sched: ResponseScheduler, now: float = 0.0) -> list[str]:
    out = []
    for req, event in sched.ready(now):
        event.event_id = f"evt_{req.request_id}"
        sched.sent(req, event.event_id)
        out.append(req.request_id)
    return out


def test_second_request_waits_for_the_first_to_finish() -> None:
    sched = ResponseScheduler()
    a = sched.request({"instructions": "one"})
    b = sched.request({"instructions": "two"})
    assert _send(sched) == [a.request_id]
    assert _send(sched) == []  # a is requested, not yet created: b waits
    assert sched.created(s.response_created("resp_1", metadata={"rk_request": a.request_id})) is a
    assert _send(sched) == []
    assert sched.done(s.response_done("resp_1")) is a
    assert _send(sched) == [b.request_id]


def test_out_of_band_requests_go_at_once_beside_the_default_one() -> None:
    sched = ResponseScheduler()
    a = sched.request()
    oob = sched.request({"conversation": "none", "metadata": {"topic": "summary"}})
    sent = _send(sched)
    assert sent == [a.request_id, oob.request_id]
    req = sched.created(
        s.response_created(
            "resp_9", out_of_band=True, metadata={"topic": "summary", "rk_request": oob.request_id}
        )
    )
    assert req is oob
    assert oob.response_id == "resp_9"
    assert sched.active_response_id is None  # out-of-band does not occupy the conversation


def test_a_server_response_blocks_and_a_race_is_requeued() -> None:
    sched = ResponseScheduler()
    sched.created(s.response_created("resp_server"))  # VAD made one by itself
    a = sched.request()
    assert _send(sched) == []
    sched.done(s.response_done("resp_server"))
    assert _send(sched) == [a.request_id]
    # The server raced us with another response of its own: ours comes back to the queue.
    again = sched.refused(f"evt_{a.request_id}", "conversation_already_has_active_response", "busy")
    assert again is a
    assert a.state == "queued"
    assert _send(sched) == [a.request_id]


def test_user_speaking_and_expected_server_response_hold_the_queue() -> None:
    sched = ResponseScheduler(server_grace=3.0)
    a = sched.request()
    sched.user_speaking(True)
    assert _send(sched) == []
    sched.user_speaking(False)
    sched.expect_server_response(10.0)
    assert _send(sched, 11.0) == []
    assert _send(sched, 13.5) == [a.request_id]  # the server never started one: go


def test_tool_follow_up_is_superseded_by_a_later_default_response() -> None:
    sched = ResponseScheduler()
    follow = sched.request(kind="tool_followup")
    sched.user_speaking(True)
    assert _send(sched) == []
    sched.created(s.response_created("resp_2"))  # the user's new turn got a reply first
    sched.done(s.response_done("resp_2"))
    sched.user_speaking(False)
    assert _send(sched) == []
    assert follow.state == "superseded"


def test_cancel_queued_active_and_twice() -> None:
    sched = ResponseScheduler()
    a = sched.request()
    b = sched.request()
    assert sched.cancel(b.request_id) is None
    assert b.state == "cancelled"
    _send(sched)
    sched.created(s.response_created("resp_1", metadata={"rk_request": a.request_id}))
    first = sched.cancel()
    assert isinstance(first, ResponseCancelEvent)
    assert first.response_id == "resp_1"
    assert sched.cancel() is None  # a second cancel of the same response sends nothing
    assert sched.cancel("resp_1") is None


def test_cancel_before_created_is_sent_once_created() -> None:
    sched = ResponseScheduler()
    a = sched.request()
    _send(sched)
    assert sched.cancel(a.request_id) is None
    sched.created(s.response_created("resp_1", metadata={"rk_request": a.request_id}))
    cancel = sched.cancel_pending(a)
    assert cancel is not None
    assert cancel.response_id == "resp_1"
    assert sched.cancel_pending(a) is None


def test_reserved_metadata_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="reserved"):
        ResponseScheduler().request({"metadata": {"rk_request": "x"}})


def test_full_metadata_falls_back_to_order() -> None:
    sched = ResponseScheduler()
    a = sched.request({"metadata": {f"k{i}": "v" for i in range(16)}})
    assert not a.tagged
    _send(sched)
    assert sched.created(s.response_created("resp_1")) is a


def test_session_replaced_requeues_what_was_on_its_way_and_reports_the_running() -> None:
    sched = ResponseScheduler()
    a = sched.request()
    _send(sched)
    lost = sched.session_replaced()
    assert lost == []
    assert a.state == "queued"
    _send(sched)
    sched.created(s.response_created("resp_1", metadata={"rk_request": a.request_id}))
    lost = sched.session_replaced()
    assert lost == [a]
    assert a.state == "failed"
    assert sched.active_response_id is None


@given(
    st.lists(
        st.sampled_from(["req", "oob", "created", "done", "speak", "quiet", "refuse"]), max_size=60
    )
)
def test_never_two_default_requests_in_flight(actions: list[str]) -> None:
    """Whatever happens, at most one default request is sent-but-unanswered or active."""
    sched = ResponseScheduler()
    server_ids = iter(f"resp_{i}" for i in range(1000))
    in_flight: list[str] = []
    active: str | None = None
    for action in actions:
        if action == "req":
            sched.request()
        elif action == "oob":
            sched.request({"conversation": "none"})
        elif action == "speak":
            sched.user_speaking(True)
        elif action == "quiet":
            sched.user_speaking(False)
        elif action == "created" and in_flight and active is None:
            req = sched.get(in_flight.pop(0))
            assert req is not None
            active = next(server_ids)
            sched.created(s.response_created(active, metadata={"rk_request": req.request_id}))
        elif action == "done" and active is not None:
            sched.done(s.response_done(active))
            active = None
        elif action == "refuse" and in_flight:
            req = sched.get(in_flight.pop(0))
            assert req is not None
            assert req.event_id is not None
            sched.refused(req.event_id, "conversation_already_has_active_response", "busy")
        for req, event in sched.ready(0.0):
            event.event_id = f"evt_{req.request_id}_{len(in_flight)}"
            sched.sent(req, event.event_id)
            if not req.out_of_band:
                in_flight.append(req.request_id)
        assert len(in_flight) + (active is not None) <= 1
