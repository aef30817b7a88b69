"""The conversation log: order, export/import, seeding."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.conversation._log import (
    AssistantTurn,
    ConversationLog,
    MessageEntry,
    ToolCallEntry,
    UserTurn,
)
from realtime_kit.errors import ConfigurationError
from realtime_kit.protocol.transcripts import cut_transcript


def _sample() -> ConversationLog:
    log = ConversationLog()
    log.place(UserTurn("u1", "What's the weather?", final=True), None)
    log.place(
        ToolCallEntry(
            "fc1", "call_1", "weather", '{"city":"Paris"}', output='{"t":21}', status="ok"
        ),
        "u1",
    )
    log.place(
        AssistantTurn(
            "a1",
            "resp_1",
            "It is 21 degrees",
            "It is 21 degrees and sunny.",
            interrupted=True,
            heard_ms=900,
        ),
        "fc1",
    )
    log.place(AssistantTurn("a2", "resp_1", "", "Anything else?", deleted=True), "a1")
    log.place(MessageEntry("m1", "system", "Be brief."), None, explicit=True)
    log.response("resp_1").cost_usd = "0.0123"
    return log


def test_place_follows_the_chain_and_explicit_null_goes_first() -> None:
    log = _sample()
    assert [e.item_id for e in log.entries] == ["m1", "u1", "fc1", "a1", "a2"]
    late = UserTurn("u0", "earlier")
    log.place(late, "m1")
    assert [e.item_id for e in log.entries][:3] == ["m1", "u0", "u1"]


def test_output_items_find_their_call() -> None:
    log = _sample()
    entry = log.link_output("out1", "call_1")
    assert entry is log.get("out1")
    assert log.position("out1") == log.position("fc1")


def test_json_round_trip() -> None:
    log = _sample()
    again = ConversationLog.from_json(log.to_json())
    assert again.to_dict() == log.to_dict()
    assert str(again.total_cost_usd) == "0.0123"


def test_transcript_has_heard_words_only() -> None:
    text = _sample().transcript()
    assert text == "User: What's the weather?\nAssistant: It is 21 degrees —"


def test_a_message_nobody_heard_is_not_in_the_transcript_even_before_its_deletion() -> None:
    log = _sample()
    log.place(AssistantTurn("a9", "r9", generated_text="Anything else?", interrupted=True), None)
    assert log.transcript() == "User: What's the weather?\nAssistant: It is 21 degrees —"


def test_seed_items_carry_text_heard_words_and_finished_tool_calls() -> None:
    items = _sample().seed_items()
    kinds = [(i["type"], i.get("role")) for i in items]
    assert kinds == [
        ("message", "system"),
        ("message", "user"),
        ("function_call", None),
        ("function_call_output", None),
        ("message", "assistant"),
    ]
    assert items[4]["content"][0] == {"type": "output_text", "text": "It is 21 degrees"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "no 'entries'"),
        ({"version": 99, "entries": []}, "version 99"),
        ({"version": 1, "entries": [{"kind": "alien"}]}, "malformed"),
        ({"version": 1, "entries": [{"kind": "user"}]}, "malformed"),
    ],
)
def test_bad_logs_are_refused_clearly(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ConversationLog.from_dict(data)


def test_not_json() -> None:
    with pytest.raises(ConfigurationError, match="not JSON"):
        ConversationLog.from_json("{")
    assert json.loads(ConversationLog().to_json())["entries"] == []


@given(
    st.text(alphabet=st.sampled_from("ab c.\n"), max_size=80),
    st.integers(0, 3000),
    st.integers(1, 3000),
)
def test_cut_is_a_growing_prefix(text: str, heard: int, total: int) -> None:
    cut = cut_transcript(text, heard, total)
    assert text.startswith(cut)
    if heard < total:
        assert cut == cut.rstrip()  # a partial cut never ends in whitespace
    more = cut_transcript(text, heard + 100, total)
    assert more.startswith(cut)
    assert cut_transcript(text, 0, total) == ""
    assert cut_transcript(text, total, total) == text


def test_an_item_after_a_tool_output_goes_after_the_output_not_after_its_call() -> None:
    log = ConversationLog()
    log.place(UserTurn("u1", "hi"), None)
    log.place(ToolCallEntry("fcA", "call_a", "a"), "u1")
    log.place(ToolCallEntry("fcB", "call_b", "b"), "fcA")
    log.link_output("outA", "call_a", "fcB")  # A's output was added after B's call
    log.place(ToolCallEntry("fcC", "call_c", "c"), "outA")
    assert [e.item_id for e in log.entries] == ["u1", "fcA", "fcB", "fcC"]
    assert log.position("outA") == 1
    assert len(log) == 4
