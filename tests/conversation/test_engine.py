"""The conversation engine without sockets: ordering, barge-in, multi-message responses, tools."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from realtime_kit.audio import PCMFrame, PlaybackClock, PlaybackPosition
from realtime_kit.conversation._engine import ConversationEngine, EngineSettings
from realtime_kit.conversation._events import (
    AssistantTranscript,
    Interrupted,
    ResponseDone,
    ToolCallStarted,
    UserSpeechStarted,
    UserTranscript,
)
from realtime_kit.conversation._log import AssistantTurn, ConversationLog, ToolCallEntry, UserTurn
from realtime_kit.conversation._scheduler import ResponseScheduler
from realtime_kit.events import (
    ConversationItemDeleteEvent,
    ConversationItemTruncateEvent,
    ResponseCancelEvent,
)
from tests.conversation import _script as s


class Sink:
    """A player that plays exactly what the test says it played."""

    def __init__(self, rate: int = 24000) -> None:
        self.clock = PlaybackClock(rate, source="device")
        self.flushes = 0

    async def play(self, frame: PCMFrame, item_id: str, *, content_index: int = 0) -> None:
        self.clock.received(item_id, frame, content_index=content_index)

    def end_item(self, item_id: str, *, content_index: int = 0) -> None:
        self.clock.end_item(item_id, content_index=content_index)

    def flush(self) -> list[PlaybackPosition]:
        self.flushes += 1
        return self.clock.flush()

    def played_ms(self, ms: int) -> None:
        self.clock.advance(ms * self.clock.rate // 1000)


class Rig:
    def __init__(self, *, rate: int = 24000, **settings: Any) -> None:
        self.t = itertools.count()
        self.sink = Sink(rate)
        self.log = ConversationLog()
        self.scheduler = ResponseScheduler()
        self.engine = ConversationEngine(
            EngineSettings(output_rate=rate, **settings),
            sink=self.sink,
            scheduler=self.scheduler,
            log=self.log,
            now=lambda: float(next(self.t)),
        )
        self.sent: list[Any] = []
        self.events: list[Any] = []

    def feed(self, *events: Any) -> None:
        for event in events:
            if isinstance(event, list):
                self.feed(*event)
                continue
            self.engine.receive(event)
            self.pump()

    def pump(self) -> None:
        """Move played-out audio into the sink (the player task's job) and collect outputs."""
        while self.engine.playout:
            op = self.engine.playout.popleft()
            if op.kind == "audio":
                assert op.frame is not None
                self.sink.clock.received(op.item_id, op.frame, content_index=op.content_index)
            else:
                self.sink.end_item(op.item_id, content_index=op.content_index)
        self.sent.extend(self.engine.outbox)
        self.engine.outbox.clear()
        self.events.extend(self.engine.events)
        self.engine.events.clear()

    def of(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]

    def sent_of(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.sent if isinstance(e, cls)]


def _reply(
    rig: Rig,
    response_id: str,
    item_id: str,
    ms: int,
    text: str,
    *,
    previous: str | None = "u1",
    done: bool = True,
) -> None:
    rig.feed(
        s.response_created(response_id), s.assistant_item(item_id, response_id, previous=previous)
    )
    for _ in range(ms // 100):
        rig.feed(s.audio(item_id, response_id, 100))
    rig.feed(s.words(item_id, response_id, text))
    if done:
        rig.feed(s.audio_done(item_id, response_id, text), s.response_done(response_id))


def test_barge_in_truncates_at_the_heard_position_and_cuts_the_words() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None), s.transcript("u1", "What is the weather?"))
    _reply(rig, "resp_1", "a1", 2000, "It is sunny and warm in Paris today.")
    rig.sink.played_ms(700)
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=3000))
    [truncate] = rig.sent_of(ConversationItemTruncateEvent)
    assert (truncate.item_id, truncate.content_index, truncate.audio_end_ms) == ("a1", 0, 700)
    [cut] = rig.of(Interrupted)
    assert cut.heard_ms == 700
    assert cut.received_ms == 2000
    assert cut.truncated
    assert not cut.estimated
    assert cut.heard_text == "It is sunny"  # 7/20 of the words' span, whole words only
    entry = rig.log.get("a1")
    assert isinstance(entry, AssistantTurn)
    assert entry.interrupted
    assert entry.text == "It is sunny"
    assert entry.generated_text == "It is sunny and warm in Paris today."
    # The server cancels itself (server VAD, interrupt_response): no response.cancel from us.
    assert not rig.sent_of(ResponseCancelEvent)
    assert rig.of(UserSpeechStarted)[-1].barge_in


def test_nothing_interrupted_sends_nothing() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 500, "Hello there.")
    rig.sink.played_ms(500)  # heard to the end
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=3000))
    assert rig.sent == []
    assert rig.of(Interrupted) == []
    assert not rig.of(UserSpeechStarted)[-1].barge_in


def test_zero_ms_heard_deletes_instead_of_truncating() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 1000, "Hello there.")
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=3000))
    assert rig.sent_of(ConversationItemTruncateEvent) == []
    assert [e.item_id for e in rig.sent_of(ConversationItemDeleteEvent)] == ["a1"]
    [cut] = rig.of(Interrupted)
    assert cut.item_id is None
    assert cut.deleted_item_ids == ("a1",)


def test_preamble_then_answer_truncates_the_heard_one_and_deletes_the_unheard_later() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    rig.feed(s.response_created("resp_1"), s.assistant_item("a1", "resp_1", 0, previous="u1"))
    rig.feed(s.audio("a1", "resp_1", 800), s.words("a1", "resp_1", "Let me check."))
    rig.feed(s.audio_done("a1", "resp_1", "Let me check."))
    rig.feed(s.assistant_item("a2", "resp_1", 1, previous="a1"))
    rig.feed(s.audio("a2", "resp_1", 1500), s.words("a2", "resp_1", "It will rain tomorrow."))
    rig.sink.played_ms(800 + 300)  # the whole preamble, 300 ms of the answer
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=9000))
    [truncate] = rig.sent_of(ConversationItemTruncateEvent)
    assert (truncate.item_id, truncate.audio_end_ms) == ("a2", 300)
    # The preamble was heard whole: never truncated.
    assert rig.sent_of(ConversationItemDeleteEvent) == []


def test_unheard_later_message_is_deleted_once_its_response_is_done() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    rig.feed(s.response_created("resp_1"), s.assistant_item("a1", "resp_1", 0, previous="u1"))
    rig.feed(s.audio("a1", "resp_1", 800), s.audio_done("a1", "resp_1", "Let me check."))
    rig.feed(s.assistant_item("a2", "resp_1", 1, previous="a1"), s.audio("a2", "resp_1", 1500))
    rig.sink.played_ms(400)  # half the preamble
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=9000))
    assert [t.item_id for t in rig.sent_of(ConversationItemTruncateEvent)] == ["a1"]
    assert rig.sent_of(ConversationItemDeleteEvent) == []  # its response is still running
    rig.feed(
        s.ev(
            "response.output_audio.delta",
            response_id="resp_1",
            item_id="a2",
            output_index=1,
            content_index=0,
            delta=s.pcm(100),
        )
    )
    assert (
        rig.engine.playout == type(rig.engine.playout)()
    )  # audio of an interrupted response is dropped
    rig.feed(s.response_done("resp_1", "cancelled", reason="turn_detected"))
    assert [d.item_id for d in rig.sent_of(ConversationItemDeleteEvent)] == ["a2"]
    [cut] = rig.of(Interrupted)
    assert cut.item_id == "a1"
    assert cut.deleted_item_ids == ("a2",)


def test_heard_position_is_clamped_to_audio_received() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 600, "Short reply here.", done=False)
    rig.sink.played_ms(5000)  # a player that over-reports: clamped by the clock
    # Audio still streaming (not done): the heard position equals what arrived; the rest of the
    # item is unheard, so it is truncated at what was received.
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=3000))
    [truncate] = rig.sent_of(ConversationItemTruncateEvent)
    assert truncate.audio_end_ms == 600


def test_app_interrupt_cancels_the_response_itself() -> None:
    rig = Rig()
    rig.feed(s.session(None), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 1000, "One two three four.", done=False)
    rig.sink.played_ms(500)
    assert rig.engine.barge_in("app")
    rig.pump()
    assert [c.response_id for c in rig.sent_of(ResponseCancelEvent)] == ["resp_1"]
    assert rig.sent_of(ConversationItemTruncateEvent)[0].audio_end_ms == 500


def test_interrupt_response_false_means_no_barge_in() -> None:
    rig = Rig()
    rig.feed(
        s.session({"type": "server_vad", "interrupt_response": False}), s.user_turn("u1", None)
    )
    _reply(rig, "resp_1", "a1", 1000, "Keep talking.", done=False)
    rig.sink.played_ms(100)
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=3000))
    assert rig.sent == []
    assert rig.of(Interrupted) == []
    assert rig.sink.flushes == 0


def test_the_same_speech_is_handled_once() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 1000, "One two three.")
    rig.sink.played_ms(300)
    started = s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=3000)
    rig.feed(started, started)
    assert len(rig.sent_of(ConversationItemTruncateEvent)) == 1


def test_late_user_transcript_still_comes_before_the_reply() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 300, "Sure, here it is.")
    assert rig.of(AssistantTranscript) == []  # held: the user's words are not in yet
    rig.feed(s.transcript("u1", "Show me the report."))
    kinds = [
        type(e).__name__ for e in rig.events if isinstance(e, (UserTranscript, AssistantTranscript))
    ]
    assert kinds == ["UserTranscript", "AssistantTranscript"]
    assert rig.of(UserTranscript)[0].late
    assert [type(e).__name__ for e in rig.log.entries] == ["UserTurn", "AssistantTurn"]


def test_held_words_are_released_after_the_hold() -> None:
    rig = Rig(transcript_hold_s=2.0)
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 300, "Sure.")
    assert rig.engine.holding
    for _ in range(5):
        rig.engine.tick()  # the rig's clock moves one second per reading
    rig.pump()
    assert not rig.engine.holding
    assert [e.text for e in rig.of(AssistantTranscript)] == ["Sure."]


def test_log_places_user_turns_by_the_item_chain() -> None:
    rig = Rig()
    rig.feed(s.session(transcription=False), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 300, "First answer.")
    rig.feed(s.user_turn("u2", "a1"))
    _reply(rig, "resp_2", "a2", 300, "Second answer.", previous="u2")
    order = [(type(e).__name__, e.item_id) for e in rig.log.entries]
    assert order == [
        ("UserTurn", "u1"),
        ("AssistantTurn", "a1"),
        ("UserTurn", "u2"),
        ("AssistantTurn", "a2"),
    ]


def test_tool_call_runs_once_and_one_follow_up_is_requested_after_all_outputs() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    rig.feed(s.response_created("resp_1"))
    rig.feed(s.function_call("call_a", "weather", '{"city":"Paris"}', "fc1", "resp_1", index=0))
    rig.feed(s.function_call("call_b", "time", "{}", "fc2", "resp_1", index=1))
    assert [t.call_id for t in rig.engine.tool_starts] == ["call_a", "call_b"]
    assert [e.name for e in rig.of(ToolCallStarted)] == ["weather", "time"]
    rig.feed(s.response_done("resp_1"))
    first = rig.engine.tool_finished("call_a", status="ok", output='{"temp": 21}')
    assert first is not None
    assert first.item.call_id == "call_a"
    assert rig.scheduler.queued == []  # one call still running
    rig.engine.tool_finished("call_b", status="ok", output='"12:00"')
    [request] = rig.scheduler.queued
    assert request.kind == "tool_followup"
    entry = rig.log.tool_call("call_a")
    assert isinstance(entry, ToolCallEntry)
    assert entry.output == '{"temp": 21}'
    assert entry.status == "ok"


def test_response_done_reports_usage_and_latency() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 300, "Hi.")
    [done] = rig.of(ResponseDone)
    assert done.status == "completed"
    assert done.usage == {
        "total_tokens": 30,
        "input_tokens": 10,
        "output_tokens": 20,
    }
    assert done.latency is not None
    assert done.latency.user_item_id == "u1"
    assert done.latency.to_first_audio is not None
    assert done.latency.to_first_audio > 0


def test_a_reply_talked_over_keeps_the_latency_of_the_turn_it_answers() -> None:
    """The reply's response.done comes after the user spoke again: its latency is still
    measured from the end of the turn it answers, not lost."""
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 300, "A long answer.", done=False)
    rig.feed(s.user_turn("u2", "a1"))
    rig.feed(s.audio_done("a1", "resp_1", "A long answer."), s.response_done("resp_1"))
    [done] = rig.of(ResponseDone)
    assert done.latency is not None
    assert done.latency.user_item_id == "u1"
    stopped = rig.log.get("u1")
    assert isinstance(stopped, UserTurn)
    assert stopped.stopped_at is not None
    assert done.latency.to_first_audio is not None
    assert done.latency.to_first_audio > 0
    assert rig.log.responses["resp_1"].to_first_audio_s == done.latency.to_first_audio


def test_user_turn_entry_keeps_vad_times() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None, 120, 1880), s.transcript("u1", "Hello."))
    entry = rig.log.get("u1")
    assert isinstance(entry, UserTurn)
    assert (entry.audio_start_ms, entry.audio_end_ms, entry.text, entry.final) == (
        120,
        1880,
        "Hello.",
        True,
    )


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_audio_reaches_the_app_at_its_rate(rate: int) -> None:
    rig = Rig(rate=rate)
    rig.feed(s.session(), s.user_turn("u1", None))
    _reply(rig, "resp_1", "a1", 1000, "Hi.")
    position = rig.sink.clock.position("a1")
    assert abs(position.received_ms - 1000) <= 2  # the resampler's tail is flushed at the end


def test_speech_after_everything_was_heard_is_not_an_interruption() -> None:
    rig = Rig()
    rig.feed(s.session(), s.user_turn("u1", None))
    rig.feed(s.response_created("resp_1"), s.assistant_item("a1", "resp_1", previous="u1"))
    rig.feed(s.audio("a1", "resp_1", 500), s.audio_done("a1", "resp_1", "Hello there."))
    rig.sink.played_ms(500)  # all of it heard; response.done is still on its way
    rig.feed(s.ev("input_audio_buffer.speech_started", item_id="u2", audio_start_ms=3000))
    assert rig.of(Interrupted) == []
    assert rig.sent == []
