"""SimulatedUser against the fake server over loopback (asyncio and trio).

The user's ear moves only while it listens, so barge-in positions are exact; everything it
waits for is a condition on the conversation's events, never a sleep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from realtime_kit.audio import PCMFrame
from realtime_kit.conversation import AssistantTurn, Conversation, TurnDetection
from realtime_kit.errors import ConfigurationError, LocalProtocolError
from realtime_kit.testing import (
    FakeClock,
    FakeRealtimeServer,
    Reply,
    ScriptedBrain,
    Silence,
    SimulatedUser,
    ToolCall,
    default_synthesizer,
)
from realtime_kit.testing.listener import SimulatedListener
from tests.conversation._util import eventually
from tests.simulation._agent import ANSWER, get_weather

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def call(
    script: list[Any],
    user: Callable[[FakeRealtimeServer], SimulatedUser] = lambda s: SimulatedUser(voice=s),
    **options: Any,
) -> AsyncIterator[tuple[FakeRealtimeServer, Conversation, SimulatedUser]]:
    """A fake server playing ``script``, a conversation, and a user attached to it."""
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock, brain=ScriptedBrain(script), seed=1) as server:
        caller = user(server)
        options.setdefault("playback", caller.listener)
        async with Conversation(
            api_key="sk-test", base_url=server.base_url, clock=clock.wall, **options
        ) as conv:
            if options["playback"] is caller.listener:
                caller.attach(conv)
            yield server, conv, caller


async def test_ask_waits_for_the_whole_reply_tool_round_trip_included() -> None:
    script = [Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), ANSWER]
    async with call(script, tools=[get_weather]) as (_, conv, user):
        reply = await user.ask("What is the weather in Paris?")
        assert reply.complete
        assert reply.turn == 1
        assert reply.text == ANSWER
        assert [c.name for c in reply.tool_calls] == ["get_weather"]
        assert reply.tool_calls[0].output == '{"city":"Paris","temperature_c":21,"sky":"sunny"}'
        assert len(reply.response_ids) == 2  # the tool call, then the one follow-up
        assert reply.latency is not None
        assert reply.latency.to_first_audio is not None
        # Every bit of the answer that arrived was heard, and nothing else.
        answer = conv.log.turns()[-1]
        assert user.listener.heard[answer.item_id] == pytest.approx(answer.audio_ms, abs=1)
        assert reply.heard_ms == pytest.approx(answer.audio_ms, abs=1)
        assert user.listener.queued_ms == 0
        [turn] = user.turns
        assert turn.text == "What is the weather in Paris?"
        assert len(turn.item_ids) == 1
        assert turn.reply == reply
        assert conv.log.transcript() == f"User: What is the weather in Paris?\nAssistant: {ANSWER}"


@pytest.mark.parametrize("heard_ms", [600, 1500])
async def test_barge_in_cuts_the_agent_exactly_where_the_user_had_heard_it(heard_ms: int) -> None:
    async with call([ANSWER, "Goodbye."]) as (_, conv, user):
        await user.say("What is the weather in Paris?")
        turn = await user.say("Thanks, bye.", barge_in_after_ms=heard_ms)
        reply = await user.wait_for_reply()
        assert turn.heard_before_ms == heard_ms
        assert turn.barged_in
        [cut] = turn.interruptions
        answer = conv.log.turns()[1]
        assert (cut.item_id, cut.heard_ms, cut.truncated) == (answer.item_id, heard_ms, True)
        assert cut.received_ms > heard_ms  # the whole answer had arrived: cut from all of it
        assert cut.heard_text
        assert ANSWER.startswith(cut.heard_text.rstrip(",. "))
        assert len(cut.heard_text) < len(ANSWER)
        assert answer.text == cut.heard_text  # the log keeps what the caller heard
        assert user.listener.heard[answer.item_id] == heard_ms
        assert reply.text == "Goodbye."
        # The server was told the same position (its acknowledgement may still be on the way).
        protocol = conv.connection.protocol
        await eventually(lambda: getattr(protocol.item(answer.item_id), "truncated_ms", None))
        record = protocol.item(answer.item_id)
        assert record is not None
        assert record.truncated_ms == heard_ms


async def test_heard_ms_run_across_the_messages_of_one_reply() -> None:
    """A preamble, then the answer (one response, two messages): the caller hears the preamble
    whole and 600 ms of the answer; only the answer is truncated, at 600 ms."""
    preamble = "Let me check that."
    async with call([Reply(messages=[preamble, ANSWER]), "Bye."]) as (server, conv, user):
        preamble_ms = len(server.bank.synthesizer.synthesize(preamble)) / 48
        await user.say("What is the weather in Paris?")
        turn = await user.say("Thanks.", barge_in_after_ms=preamble_ms + 600)
        await user.wait_for_reply()
        first, second, _bye = (e for e in conv.log.entries if isinstance(e, AssistantTurn))
        assert (first.text, first.interrupted) == (preamble, False)
        [cut] = turn.interruptions
        assert (cut.item_id, cut.heard_ms, cut.truncated) == (second.item_id, 600, True)
        assert second.text == cut.heard_text
        assert ANSWER.startswith(cut.heard_text.rstrip(",. "))
        assert conv.log.transcript().splitlines()[1:3] == [
            f"Assistant: {preamble}",
            f"Assistant: {cut.heard_text} —",
        ]


async def test_a_barge_in_at_0_ms_waits_for_the_agent_to_start_then_deletes_its_message() -> None:
    async with call([ANSWER, "Sure."]) as (_, conv, user):
        await user.say("What is the weather in Paris?")
        turn = await user.say("Wait.", barge_in_after_ms=0)
        await user.wait_for_reply()
        [cut] = turn.interruptions
        answer = conv.log.entries[1]
        assert isinstance(answer, AssistantTurn)
        assert cut.deleted_item_ids == (answer.item_id,)
        assert (cut.heard_ms, cut.truncated, cut.heard_text) == (0, False, "")
        assert answer.interrupted
        assert answer.text == ""
        assert (
            conv.log.transcript()
            == "User: What is the weather in Paris?\nUser: Wait.\nAssistant: Sure."
        )


async def test_a_barge_in_point_past_the_end_of_the_reply_waits_for_the_agent_to_finish() -> None:
    async with call(["Short answer.", "Bye."]) as (_, conv, user):
        await user.say("Hello there.")
        turn = await user.say("Thanks.", barge_in_after_ms=60_000)
        await user.wait_for_reply()
        assert not turn.barged_in
        answer = conv.log.turns()[1]
        assert turn.heard_before_ms == pytest.approx(answer.audio_ms, abs=1)
        assert not any(getattr(e, "interrupted", False) for e in conv.log.entries)


async def test_a_paced_user_moves_the_test_clock_by_exactly_what_it_said() -> None:
    mouth = FakeClock(start=100.0)  # auto-advance: pacing jumps it, costing no real time

    def paced(server: FakeRealtimeServer) -> SimulatedUser:
        return SimulatedUser(voice=server, pace=mouth, trailing_silence_ms=900)

    # A 300 ms pause inside the turn: the VAD must wait longer than that to end it.
    one_turn = TurnDetection(silence_duration_ms=600)
    async with call(["Hi."], paced, turn_detection=one_turn) as (server, conv, user):
        hello, question = server.speak("Hello there."), server.speak("I have a question.")
        turn = await user.say(hello, Silence(300), question)
        assert turn.audio_ms == pytest.approx((len(hello) + len(question)) / 48 + 300)
        assert turn.text is None  # audio, not words
        assert mouth.now() == pytest.approx(100.0 + (turn.audio_ms + 900) / 1000)
        reply = await user.wait_for_reply()
        assert reply.text == "Hi."
        assert conv.log.turns()[0].text == "Hello there. I have a question."


async def test_a_user_paced_on_a_clock_the_test_holds_waits_for_it() -> None:
    mouth = FakeClock(auto_advance=False)

    def paced(server: FakeRealtimeServer) -> SimulatedUser:
        return SimulatedUser(voice=server, pace=mouth, trailing_silence_ms=500)

    async with call(["Hi."], paced, turn_detection=None) as (_, conv, user):
        done = anyio.Event()

        async def speak() -> None:
            await user.say(PCMFrame.silence(100))
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(speak)
            protocol = conv.connection.protocol
            await eventually(lambda: protocol.buffered_input_ms >= 20)
            for _ in range(20):
                await anyio.lowlevel.checkpoint()
            assert protocol.buffered_input_ms == 20  # one chunk, then it waits for the clock
            assert not done.is_set()
            mouth.advance(0.1)
            with anyio.fail_after(10):
                await done.wait()


async def test_push_to_talk_sessions_get_start_and_end_of_turn() -> None:
    # Any synthesizer speaks too (the fake recognizer then hands out its script: "Hello.").
    def espeak(_: FakeRealtimeServer) -> SimulatedUser:
        return SimulatedUser(voice=default_synthesizer())

    async with call(["Welcome."], espeak, turn_detection=None) as (_, conv, user):
        reply = await user.ask("Hello there.")
        assert reply.text == "Welcome."
        assert user.turns[0].push_to_talk
        assert [t.kind for t in conv.log.turns()] == ["user", "assistant"]


async def test_a_turn_the_agent_never_answers_times_out_saying_why() -> None:
    quiet = TurnDetection(create_response=False)

    def impatient(server: FakeRealtimeServer) -> SimulatedUser:
        return SimulatedUser(voice=server, reply_timeout=0.5)

    async with call(["never sent"], impatient, turn_detection=quiet) as (_, _, user):
        await user.say("Hello there.")
        with pytest.raises(TimeoutError, match="no response started after turn 1"):
            await user.wait_for_reply()


async def test_mistakes_are_typed_errors() -> None:
    with pytest.raises(LocalProtocolError, match="not attached"):
        await SimulatedUser().say("Hello.")
    async with call(["Hi."], lambda _: SimulatedUser()) as (_, _, user):
        with pytest.raises(ConfigurationError, match="voice="):
            await user.say("Hello.")
        with pytest.raises(ConfigurationError, match="something to say"):
            await user.say()
        with pytest.raises(ConfigurationError, match="cannot speak a int"):
            await user.say(42)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="cannot be negative"):
            await user.say(PCMFrame.silence(200), barge_in_after_ms=-1)
        with pytest.raises(ConfigurationError, match="PCM WAV"):
            await user.say(Path("/nonexistent.wav"))
    async with call(["Hi."], lambda _: SimulatedUser(voice=42)) as (_, _, user):  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="voice= must be the fake server"):
            await user.say("Hello.")
    with pytest.raises(ConfigurationError, match="reply_timeout must be positive"):
        SimulatedUser(reply_timeout=0)
    elsewhere = SimulatedListener(FakeClock(auto_advance=False).now)
    async with call(["Hi."], playback=elsewhere) as (_, conv, _):
        with pytest.raises(ConfigurationError, match=r"playback=user\.listener"):
            SimulatedUser().attach(conv)
