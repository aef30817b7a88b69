"""Conversation end to end over loopback against the fake server (asyncio and trio)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from realtime_kit.conversation import (
    AssistantTranscript,
    Conversation,
    ConversationEvent,
    ResponseDone,
    UserTranscript,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedBrain
from realtime_kit.testing.listener import SimulatedListener
from tests.conversation._util import eventually

pytestmark = pytest.mark.anyio

SILENCE_1S = bytes(48_000)


async def _until(conv: Conversation, cls: type[Any], seen: list[ConversationEvent]) -> Any:
    with anyio.fail_after(30):
        async for event in conv.events():
            seen.append(event)
            if isinstance(event, cls):
                return event
    raise AssertionError(f"conversation ended before {cls.__name__}")


async def test_a_spoken_turn_end_to_end() -> None:
    clock = FakeClock()
    brain = ScriptedBrain(["Hello! How can I help you today?"])
    async with FakeRealtimeServer(clock=clock, brain=brain) as server:
        listener = SimulatedListener(clock.now)
        async with Conversation(
            api_key="sk-test", base_url=server.base_url, playback=listener, clock=clock.wall
        ) as conv:
            await conv.send_audio(server.speak("What is the weather in Paris?") + SILENCE_1S)
            seen: list[ConversationEvent] = []
            done = await _until(conv, ResponseDone, seen)
            assert done.status == "completed"
            words = [e for e in seen if isinstance(e, (UserTranscript, AssistantTranscript))]
            assert [type(e).__name__ for e in words] == ["UserTranscript", "AssistantTranscript"]
            assert words[0].text == "What is the weather in Paris?"
            assert words[1].text == "Hello! How can I help you today?"
            assert done.cost_usd is not None
            assert done.cost_usd > 0
            assert conv.log.transcript() == (
                "User: What is the weather in Paris?\nAssistant: Hello! How can I help you today?"
            )


async def _reply_received(conv: Conversation, seen: list[ConversationEvent]) -> ResponseDone:
    done: ResponseDone = await _until(conv, ResponseDone, seen)
    return done


@pytest.mark.parametrize("heard_ms", [0, 700, None])
async def test_barge_in_truncates_where_the_listener_is(heard_ms: int | None) -> None:
    """The listener heard ``heard_ms`` of the reply (None: all of it), then the user spoke."""
    from realtime_kit.conversation import Interrupted

    server_clock = FakeClock()
    listener_clock = FakeClock(auto_advance=False)
    brain = ScriptedBrain(["The weather in Paris is sunny and warm, with a light breeze.", "Sure."])
    async with FakeRealtimeServer(clock=server_clock, brain=brain) as server:
        listener = SimulatedListener(listener_clock.now)
        async with Conversation(
            api_key="sk-test", base_url=server.base_url, playback=listener, clock=server_clock.wall
        ) as conv:
            seen: list[ConversationEvent] = []
            await conv.send_audio(server.speak("What is the weather in Paris?") + SILENCE_1S)
            await _reply_received(conv, seen)
            reply = conv.log.turns()[-1]
            # The player hands the whole reply to the listener (the end of the item included).
            await eventually(lambda: listener.clock.position(reply.item_id).done)
            total = listener.clock.queued_ms
            listener_clock.advance((total + 1000 if heard_ms is None else heard_ms) / 1000)
            await conv.send_audio(server.speak("Thanks, that is all.") + SILENCE_1S)
            await _until(conv, ResponseDone, seen)
            # The whole second utterance was sent at once, so the server may finish its reply
            # before it handles our truncate or delete: wait for the acknowledgement itself.
            protocol = conv.connection.protocol
            if heard_ms == 0:
                await eventually(lambda: protocol.item(reply.item_id) is None)  # deleted
                # The log learns of the deletion from the same event, a moment after the core.
                await eventually(lambda: conv.log.get(reply.item_id).deleted)  # type: ignore[union-attr]
            elif heard_ms is not None:
                await eventually(lambda: protocol.item(reply.item_id).truncated_ms is not None)  # type: ignore[union-attr]
            cuts = [e for e in seen if isinstance(e, Interrupted)]
            if heard_ms is None:
                assert cuts == []  # heard to the end: nothing is truncated
                assert conv.log.get(reply.item_id).text == reply.text  # type: ignore[union-attr]
                return
            [cut] = cuts
            entry = conv.log.get(reply.item_id)
            if heard_ms == 0:
                assert cut.deleted_item_ids == (reply.item_id,)
                assert not cut.truncated
                assert entry.deleted  # type: ignore[union-attr]
            else:
                assert (cut.item_id, cut.heard_ms, cut.truncated) == (reply.item_id, heard_ms, True)
                assert cut.heard_text
                assert "breeze" not in cut.heard_text
                assert entry.text == cut.heard_text  # type: ignore[union-attr]
                record = conv.connection.protocol.item(reply.item_id)
                assert record is not None
                assert record.truncated_ms == heard_ms


async def test_tools_run_concurrently_and_one_follow_up_answers_them() -> None:
    import time as _time

    from realtime_kit.conversation import ToolCallFinished, tool
    from realtime_kit.testing import Reply, ToolCall

    def get_weather(city: str) -> dict[str, object]:
        """Current weather for a city.

        Args:
            city: the city name.
        """
        _time.sleep(0.05)  # a blocking call: runs in a worker thread, audio keeps flowing
        return {"city": city, "sky": "sunny"}

    async def get_time(zone: str) -> str:
        """The time in a zone."""
        return f"12:00 in {zone}"

    def broken() -> str:
        """Always fails."""
        raise RuntimeError("database is down")

    @tool(timeout=0.2)
    async def slow() -> str:
        """Never answers in time."""
        await anyio.sleep(60)
        return "late"

    brain = ScriptedBrain(
        [
            Reply(
                tool_calls=[
                    ToolCall("get_weather", {"city": "Paris"}),
                    ToolCall("get_time", {"zone": "CET"}),
                    ToolCall("broken", {}),
                    ToolCall("slow", {}),
                ]
            )
        ]
    )
    clock = FakeClock()
    server = FakeRealtimeServer(clock=clock, brain=brain)
    tools = [get_weather, get_time, broken, slow]
    async with server:
        conversation = Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            tools=tools,
            audio_output=False,
            clock=clock.wall,
        )
        async with conversation as conv:
            seen: list[ConversationEvent] = []
            await conv.send_audio(server.speak("What is the weather in Paris?") + SILENCE_1S)
            await _until(conv, ResponseDone, seen)  # the response that called the tools
            second = await _until(conv, ResponseDone, seen)  # the one follow-up
            finished = {e.name: e for e in seen if isinstance(e, ToolCallFinished)}
            assert set(finished) == {"get_weather", "get_time", "broken", "slow"}
            assert finished["get_weather"].status == "ok"
            assert finished["get_weather"].output == '{"city":"Paris","sky":"sunny"}'
            assert finished["broken"].status == "error"
            assert "database is down" in finished["broken"].output
            assert finished["slow"].status == "timeout"
            assert second.status == "completed"
            entries = [e for e in conv.log.entries if e.kind == "tool_call"]
            assert [e.status for e in entries] == ["ok", "ok", "error", "timeout"]  # type: ignore[union-attr]
            assert all(e.output for e in entries)  # type: ignore[union-attr]
            # Exactly one follow-up: two responses in all.
            assert len([e for e in seen if isinstance(e, ResponseDone)]) == 2


async def test_two_requests_while_one_is_active_are_answered_in_order() -> None:
    brain = ScriptedBrain(["First.", "Second.", "Third."])
    clock = FakeClock()
    async with (
        FakeRealtimeServer(clock=clock, brain=brain) as server,
        Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            audio_output=False,
            turn_detection=None,
            clock=clock.wall,
        ) as conv,
    ):
        a = conv.respond(instructions="one")
        b = conv.respond(instructions="two")
        c = conv.respond(instructions="three")
        results = [await h.wait() for h in (a, b, c)]
        assert [r.status for r in results if r] == ["completed"] * 3
        texts = [t.text for t in conv.log.turns()]
        assert texts == ["First.", "Second.", "Third."]
        assert not [e for e in conv.log.entries if e.kind == "tool_call"]


async def test_reconnect_mid_turn_keeps_instructions_tools_and_history() -> None:
    from realtime_kit import ReconnectPolicy
    from realtime_kit.conversation import Reconnected

    def lookup(order: str) -> str:
        """Look up an order."""
        return f"order {order} ships tomorrow"

    clock = FakeClock()
    brain = ScriptedBrain(
        ["Hello, I can help with orders.", "This answer gets cut by a network drop.", "Still here."]
    )
    async with (
        FakeRealtimeServer(clock=clock, brain=brain) as server,
        Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            instructions="You are the order desk.",
            tools=[lookup],
            audio_output=False,
            reconnect=ReconnectPolicy(initial_delay=0.01),
            clock=clock.wall,
        ) as conv,
    ):
        seen: list[ConversationEvent] = []
        await conv.send_audio(server.speak("Hello there.") + SILENCE_1S)
        await _until(conv, ResponseDone, seen)
        server.faults.drop_on("response.output_audio_transcript.delta", nth=12)
        await conv.send_audio(server.speak("Where is my order?") + SILENCE_1S)
        restored = await _until(conv, Reconnected, seen)
        assert restored.cause == "reconnect"
        assert restored.restored.restored_config
        _, new = await server.wait_for_connections(2)
        # The new session has the agent's instructions, tools and the history as text.
        await eventually(lambda: new.items)
        assert new.config["instructions"] == "You are the order desk."
        assert [t["name"] for t in new.config["tools"]] == ["lookup"]
        texts = [p.get("text") for item in new.items for p in item.get("content", [])]
        assert texts[:2] == ["Hello there.", "Hello, I can help with orders."]
        # And it goes on: the next turn is answered in the new session.
        await conv.send_audio(server.speak("Are you there?") + SILENCE_1S)
        done = await _until(conv, ResponseDone, seen)
        assert done.status == "completed"
        assert conv.log.turns()[0].text == "Hello there."
        assert any(e.text == "Where is my order?" for e in conv.log.turns())


async def test_rollover_before_the_60_minute_cap() -> None:
    from realtime_kit import RolloverPolicy
    from realtime_kit.conversation import Reconnected

    clock = FakeClock()
    brain = ScriptedBrain(["First answer.", "Second answer."])
    async with (
        FakeRealtimeServer(clock=clock, brain=brain) as server,
        Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            instructions="Be brief.",
            audio_output=False,
            rollover=RolloverPolicy(lead_time=300, hard_deadline=20, poll_interval=0.05),
            clock=clock.wall,
        ) as conv,
    ):
        seen: list[ConversationEvent] = []
        await conv.send_audio(server.speak("Remember the word teapot.") + SILENCE_1S)
        await _until(conv, ResponseDone, seen)
        clock.advance(3600 - 250)
        rolled = await _until(conv, Reconnected, seen)
        assert rolled.cause == "rollover"
        assert rolled.lost == ()
        await conv.send_audio(server.speak("What was the word?") + SILENCE_1S)
        done = await _until(conv, ResponseDone, seen)
        assert done.status == "completed"
        _, new = await server.wait_for_connections(2)
        texts = [p.get("text") for item in new.items for p in item.get("content", [])]
        assert texts[:2] == ["Remember the word teapot.", "First answer."]
        assert new.config["instructions"] == "Be brief."


async def test_push_to_talk_say_update_and_the_audio_stream() -> None:
    from realtime_kit.conversation import SessionChanged

    clock = FakeClock()
    # The app's speaker: a clock the test moves (real time would make "how much of the
    # greeting was heard" depend on the machine's speed).
    speaker = FakeClock(auto_advance=False)
    brain = ScriptedBrain(["Welcome to the desk.", "You said something."])
    async with (
        FakeRealtimeServer(clock=clock, brain=brain) as server,
        Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            turn_detection=None,
            output_rate=16000,
            clock=clock.wall,
            now=speaker.now,
        ) as conv,
    ):
        greeting = conv.say("Welcome to the desk.")
        frames = []
        async for chunk in conv.audio():
            frames.append(chunk.frame)
            if sum(f.duration_ms for f in frames) > 900:
                break
        done = await greeting.wait()
        assert done is not None
        assert done.status == "completed"
        assert all(f.rate == 16000 for f in frames)
        speaker.advance(30.0)  # the whole greeting has played: pressing the button cuts nothing
        await conv.start_turn()
        await conv.send_audio(server.speak("Hello."))
        handle = await conv.end_turn()
        assert handle is not None
        reply = await handle.wait()
        assert reply is not None
        assert reply.status == "completed"
        assert [t.kind for t in conv.log.turns()] == ["assistant", "user", "assistant"]
        assert not conv.log.turns()[0].interrupted  # type: ignore[union-attr]
        assert conv.log.turns()[0].text == "Welcome to the desk."
        session = await conv.update(instructions="Now be terse.")
        assert session["instructions"] == "Now be terse."
        await conv.aclose()
        changes = [e async for e in conv.events() if isinstance(e, SessionChanged)]
        assert changes[-1].session["instructions"] == "Now be terse."


async def test_a_refused_update_raises_configuration_error() -> None:
    from realtime_kit.errors import ConfigurationError

    clock = FakeClock()
    async with (
        FakeRealtimeServer(clock=clock) as server,
        Conversation(
            api_key="sk-test", base_url=server.base_url, audio_output=False, clock=clock.wall
        ) as conv,
    ):
        with pytest.raises(ConfigurationError, match="refused"):
            await conv.update(session={"audio": {"input": {"colour": "blue"}}})
        # The conversation goes on.
        await conv.update(instructions="fine")
        assert conv.session is not None
        assert conv.session["instructions"] == "fine"


async def test_budget_wraps_up_then_hangs_up() -> None:
    from decimal import Decimal

    from realtime_kit import Budget
    from realtime_kit.conversation import BudgetAlert, ConversationClosed

    clock = FakeClock()
    brain = ScriptedBrain(["A long answer " * 30, "Goodbye and thank you.", "More."])
    async with (
        FakeRealtimeServer(clock=clock, brain=brain) as server,
        Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            budget=Budget(Decimal("0.02"), warn_percent=10, wrap_up_percent=20),
            audio_output=False,
            clock=clock.wall,
        ) as conv,
    ):
        seen: list[ConversationEvent] = []
        await conv.send_audio(server.speak("Tell me everything.") + SILENCE_1S)
        await _until(conv, ConversationClosed, seen)
        actions = [e.action for e in seen if isinstance(e, BudgetAlert)]
        assert actions[:2] == ["warned", "wrapping_up"]
        assert conv.closed
        assert conv.error is None


async def test_an_idle_caller_is_prompted_then_hung_up_on() -> None:
    from realtime_kit.conversation import ConversationClosed, TurnDetection, UserIdle

    clock = FakeClock()
    brain = ScriptedBrain(["Are you still there?", "I will hang up now. Goodbye."])
    async with FakeRealtimeServer(clock=clock, brain=brain) as server:
        conversation = Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            turn_detection=TurnDetection(idle_timeout_ms=5000),
            idle_hangup_after=2,
            audio_output=False,
            clock=clock.wall,
        )
        async with conversation as conv:
            seen: list[ConversationEvent] = []
            await conv.send_audio(bytes(48 * 400))  # 400 ms of silence: the caller says nothing
            clock.advance(5.1)
            first = await _until(conv, UserIdle, seen)
            assert (first.count, first.action) == (1, "none")
            await _until(conv, ResponseDone, seen)  # the server prompts the caller
            await conv.send_audio(bytes(48 * 400))
            clock.advance(5.1)
            second = await _until(conv, UserIdle, seen)
            assert (second.count, second.action) == (2, "hung_up")
            await _until(conv, ConversationClosed, seen)
            assert conv.closed
            assert conv.error is None


async def test_the_confirmed_session_is_known_when_the_block_starts() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock) as server:
        conversation = Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            instructions="Be brief.",
            audio_output=False,
            clock=clock.wall,
        )
        async with conversation as conv:
            assert conv.session is not None
            assert conv.session["instructions"] == "Be brief."
