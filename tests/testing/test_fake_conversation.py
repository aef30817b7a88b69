"""What a voice agent (``Conversation``) needs from the fake server, faithful to PROTOCOL.md
§3, §4(b)(c)(d), §8 (issue 14, item 11): truncation against the audio actually sent, barge-in,
tools that wait for ``response.create``, out-of-band responses, cancel, retrieve/delete, late user
transcripts, the active-response error, multi-message responses.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from realtime_kit.testing import (
    FakeClock,
    FakeRealtimeServer,
    Reply,
    ScriptedBrain,
    ScriptedRecognizer,
    ToneSynthesizer,
    ToolCall,
)
from realtime_kit.testing._audio import BYTES_PER_MS, silence, tone
from realtime_kit.testing._items import heard_words
from tests.testing._client import Client, open_client, types

pytestmark = pytest.mark.anyio

TOOLS = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
VOICE = ToneSynthesizer()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # server logic; the caller's backends are covered in test_fake_connect


async def connect(server: FakeRealtimeServer, model: str = "gpt-realtime-2") -> Client:
    client = await open_client(f"{server.ws_base_url}/realtime?model={model}")
    await client.expect("session.created")
    return client


async def update(client: Client, **session: Any) -> None:
    await client.send({"type": "session.update", "session": {"type": "realtime", **session}})
    await client.expect("session.updated")


async def say(client: Client, text: str) -> str:
    """Add a user text item; returns its id."""
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            },
        }
    )
    added = await client.expect("conversation.item.added")
    await client.expect("conversation.item.done")
    return str(added["item"]["id"])


def manual_turns() -> dict[str, Any]:
    return {"audio": {"input": {"turn_detection": None}}}


@pytest.fixture
async def paced() -> AsyncIterator[tuple[FakeRealtimeServer, FakeClock]]:
    """A server whose audio streams only as the test moves the clock (200 ms per delta)."""
    clock = FakeClock(auto_advance=False)
    async with FakeRealtimeServer(clock=clock, synthesizer=VOICE, seed=4) as srv:
        yield srv, clock


# -- truncation ----------------------------------------------------------------------------------


async def stream_until(c: Client, clock: FakeClock, ms: int) -> None:
    """Let the paced server send audio deltas until ``ms`` of audio is out (200 ms each)."""
    sent = 200  # the first delta goes out at once
    while sent < ms:
        clock.advance(0.2)
        await c.recv_until("response.output_audio.delta")
        sent += 200


async def test_truncate_while_the_audio_still_streams(
    paced: tuple[FakeRealtimeServer, FakeClock],
) -> None:
    """openai-agents truncates before it cancels, while audio is still streaming."""
    server, clock = paced
    text = "You said: tell me a rather long story about the sea"
    server.brain.add(text)  # type: ignore[attr-defined]
    c = await connect(server)
    await update(c, **manual_turns())
    await say(c, "story")
    await c.send({"type": "response.create"})
    events = await c.recv_until("response.output_audio.delta")
    item_id = next(e for e in events if e["type"] == "response.output_item.added")["item"]["id"]
    await stream_until(c, clock, 1200)  # 1.2 s of the ~3.6 s answer is out; the rest waits
    await c.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": 1300,
            "event_id": "too_far",
        }
    )
    error = (await c.recv_until("error"))[-1]["error"]
    assert (error["code"], error["param"], error["event_id"]) == (
        "invalid_value",
        "audio_end_ms",
        "too_far",
    )
    assert error["message"] == "Audio content of 1200ms is already shorter than 1300ms"
    await c.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": 1000,
        }
    )
    truncated = (await c.recv_until("conversation.item.truncated"))[-1]
    assert (truncated["item_id"], truncated["audio_end_ms"]) == (item_id, 1000)
    await c.send({"type": "response.cancel"})
    done = (await c.recv_until("response.done"))[-1]["response"]
    assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    heard = heard_words(text, 1000 * BYTES_PER_MS / len(VOICE.synthesize(text)))
    assert heard.startswith("You said:")  # the first words were heard…
    assert len(heard) < len(text) / 2  # …and the rest dropped
    (item,) = done["output"]
    assert item["status"] == "incomplete"
    assert item["content"] == [{"type": "output_audio", "transcript": heard}]
    # A later retrieve shows the cut audio and transcript.
    await c.send({"type": "conversation.item.retrieve", "item_id": item_id})
    got = (await c.recv_until("conversation.item.retrieved"))[-1]["item"]
    assert got["content"][0]["transcript"] == heard
    assert len(base64.b64decode(got["content"][0]["audio"])) == 1000 * BYTES_PER_MS
    await c.close()


async def test_truncate_after_barge_in_uses_the_audio_sent(
    paced: tuple[FakeRealtimeServer, FakeClock],
) -> None:
    server, clock = paced
    c = await connect(server)
    await c.send({"type": "response.create"})
    events = await c.recv_until("response.output_audio.delta")
    item_id = next(e for e in events if e["type"] == "response.output_item.added")["item"]["id"]
    clock.advance(0.2)  # a second delta goes out: 400 ms sent
    await c.recv_until("response.output_audio.delta")
    await c.append(silence(200) + tone(400))  # the caller speaks: server VAD cancels
    events = await c.recv_until("response.done")
    assert "input_audio_buffer.speech_started" in types(events)
    done = events[-1]["response"]
    assert done["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    await c.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": 400,
        }
    )
    assert (await c.recv_until("conversation.item.truncated"))[-1]["audio_end_ms"] == 400
    await c.send(
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": 401,
        }
    )
    error = (await c.recv_until("error"))[-1]["error"]
    assert error["message"] == "Audio content of 400ms is already shorter than 401ms"
    await c.close()


async def test_truncate_refuses_what_the_real_server_refuses() -> None:
    brain = ScriptedBrain([Reply(tool_calls=[ToolCall("lookup", {})])])
    async with FakeRealtimeServer(clock=FakeClock(), brain=brain, synthesizer=VOICE) as server:
        c = await connect(server, "gpt-realtime")
        await update(c, tools=TOOLS, **manual_turns())
        user = await say(c, "hello")
        await c.send({"type": "response.create"})
        done = (await c.recv_until("response.done"))[-1]["response"]
        call = done["output"][0]["id"]
        for item_id, code in [
            ("item_nope", "item_truncate_invalid_item_id"),
            (user, "invalid_value"),
            (call, "invalid_value"),
        ]:
            await c.send(
                {
                    "type": "conversation.item.truncate",
                    "item_id": item_id,
                    "content_index": 0,
                    "audio_end_ms": 0,
                }
            )
            error = (await c.expect("error"))["error"]
            assert error["code"] == code, error
        assert "Only assistant messages with audio content" in error["message"]
        await c.close()


# -- responses ------------------------------------------------------------------------------------


async def test_a_response_can_be_a_preamble_then_the_answer() -> None:
    brain = ScriptedBrain([Reply(messages=["One moment.", "It is sunny in Oslo."])])
    async with FakeRealtimeServer(clock=FakeClock(), brain=brain, synthesizer=VOICE) as server:
        c = await connect(server)
        await update(c, **manual_turns())
        user = await say(c, "weather?")
        await c.send({"type": "response.create"})
        events = await c.recv_until("response.done")
        added = [e for e in events if e["type"] == "response.output_item.added"]
        assert [e["output_index"] for e in added] == [0, 1]
        first, second = (e["item"]["id"] for e in added)
        # Each message streams audio of its own, in order, and joins the conversation in order.
        audio_items = [e["item_id"] for e in events if e["type"] == "response.output_audio.delta"]
        assert audio_items == sorted(audio_items, key=[first, second].index)
        assert set(audio_items) == {first, second}
        chain = [
            (e["item"]["id"], e["previous_item_id"])
            for e in events
            if e["type"] == "conversation.item.added"
        ]
        assert chain == [(first, user), (second, first)]
        output = events[-1]["response"]["output"]
        assert [o["content"][0]["transcript"] for o in output] == [
            "One moment.",
            "It is sunny in Oslo.",
        ]
        # Each keeps its own audio: the second can be truncated on its own clock.
        await c.send(
            {
                "type": "conversation.item.truncate",
                "item_id": second,
                "content_index": 0,
                "audio_end_ms": 100,
            }
        )
        assert (await c.expect("conversation.item.truncated"))["item_id"] == second
        await c.close()


@pytest.mark.parametrize(
    ("model", "preamble"), [("gpt-realtime-2", ["Let me check that."]), ("gpt-realtime", [])]
)
async def test_gpt_realtime_2_speaks_a_preamble_before_a_tool_call(
    model: str, preamble: list[str]
) -> None:
    brain = ScriptedBrain(tool_triggers={"weather": ToolCall("lookup", {"city": "Oslo"})})
    async with FakeRealtimeServer(clock=FakeClock(), brain=brain, synthesizer=VOICE) as server:
        c = await connect(server, model)
        await update(c, tools=TOOLS, **manual_turns())
        await say(c, "what is the weather")
        await c.send({"type": "response.create"})
        output = (await c.recv_until("response.done"))[-1]["response"]["output"]
        assert [o["type"] for o in output] == ["message"] * len(preamble) + ["function_call"]
        assert [o["content"][0]["transcript"] for o in output[:-1]] == preamble
        await c.close()


async def test_a_tool_result_waits_for_response_create() -> None:
    brain = ScriptedBrain(
        tool_triggers={"weather": ToolCall("lookup", {"city": "Oslo"})}, tool_preamble=None
    )
    async with FakeRealtimeServer(clock=FakeClock(), brain=brain, synthesizer=VOICE) as server:
        c = await connect(server)
        await update(c, tools=TOOLS, **manual_turns())
        await say(c, "weather please")
        await c.send({"type": "response.create"})
        events = await c.recv_until("response.done")
        args = next(e for e in events if e["type"] == "response.function_call_arguments.done")
        await c.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": args["call_id"],
                    "output": "18 C",
                },
            }
        )
        await c.send({"type": "conversation.item.retrieve", "item_id": "item_nope"})
        # The output joins the conversation; nothing answers it until response.create.
        assert types(await c.recv_until("error")) == [
            "conversation.item.added",
            "conversation.item.done",
            "error",
        ]
        await c.send({"type": "response.create"})
        done = (await c.recv_until("response.done"))[-1]["response"]
        assert done["output"][0]["content"][0]["transcript"] == "Done: 18 C"
        await c.close()


async def test_out_of_band_responses_run_beside_the_default_one(
    paced: tuple[FakeRealtimeServer, FakeClock],
) -> None:
    server, _ = paced
    server.brain.add("The default answer is long enough.", "Summary.")  # type: ignore[attr-defined]
    c = await connect(server)
    await update(c, **manual_turns())
    user = await say(c, "hello")
    await c.send({"type": "response.create"})
    default = (await c.recv_until("response.created"))[-1]["response"]["id"]
    await c.recv_until("response.output_audio.delta")
    await c.send(
        {
            "type": "response.create",
            "response": {
                "conversation": "none",
                "output_modalities": ["text"],
                "metadata": {"purpose": "summary"},
                "input": [
                    {"type": "item_reference", "id": user},
                    {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": "Summarise."}],
                    },
                ],
            },
        }
    )
    events = await c.recv_until("response.done")
    side = events[-1]["response"]
    assert side["id"] != default
    assert (side["conversation_id"], side["metadata"]) == (None, {"purpose": "summary"})
    assert side["output"][0]["content"] == [{"type": "output_text", "text": "Summary."}]
    assert "conversation.item.added" not in types(events)  # it never joins the conversation
    # A second default response is refused while the first runs; cancel by id works on both.
    await c.send({"type": "response.create", "event_id": "second"})
    error = (await c.recv_until("error"))[-1]["error"]
    assert (error["code"], error["event_id"]) == (
        "conversation_already_has_active_response",
        "second",
    )
    await c.send({"type": "response.cancel", "response_id": side["id"]})
    assert (await c.recv_until("error"))[-1]["error"]["code"] == "response_cancel_not_active"
    await c.send({"type": "response.cancel", "response_id": default})
    done = (await c.recv_until("response.done"))[-1]["response"]
    assert (done["id"], done["status"]) == (default, "cancelled")
    await c.send({"type": "response.cancel"})
    assert (await c.recv_until("error"))[-1]["error"]["code"] == "response_cancel_not_active"
    await c.close()


async def test_an_unknown_item_reference_is_refused(client: Client) -> None:
    await client.send(
        {
            "type": "response.create",
            "event_id": "r",
            "response": {
                "conversation": "none",
                "input": [{"type": "item_reference", "id": "item_x"}],
            },
        }
    )
    error = (await client.expect("error"))["error"]
    assert (error["param"], error["event_id"]) == ("response.input[0]", "r")
    assert "item_x" in error["message"]


async def test_an_item_deleted_mid_stream_stays_deleted(
    paced: tuple[FakeRealtimeServer, FakeClock],
) -> None:
    server, _ = paced
    c = await connect(server)
    await c.send({"type": "response.create"})
    events = await c.recv_until("response.output_audio.delta")
    item_id = next(e for e in events if e["type"] == "response.output_item.added")["item"]["id"]
    await c.send({"type": "conversation.item.delete", "item_id": item_id})
    assert (await c.recv_until("conversation.item.deleted"))[-1]["item_id"] == item_id
    await c.send({"type": "response.cancel"})
    events = await c.recv_until("response.done")
    assert "conversation.item.done" not in types(events)
    for etype, code in [
        ("conversation.item.retrieve", "item_retrieve_invalid_item_id"),
        ("conversation.item.delete", "item_delete_invalid_item_id"),
    ]:
        await c.send({"type": etype, "item_id": item_id})
        assert (await c.expect("error"))["error"]["code"] == code
    assert server.connections[0].items == []
    await c.close()


# -- input: VAD, transcripts, idle --------------------------------------------------------------


async def test_the_user_transcript_arrives_after_the_response_started() -> None:
    recognizer = ScriptedRecognizer(["What time is it"])
    async with FakeRealtimeServer(
        clock=FakeClock(), synthesizer=VOICE, recognizer=recognizer
    ) as server:
        c = await connect(server)
        await update(c, audio={"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}})
        await c.append(silence(300) + tone(1000) + silence(800))
        events = await c.recv_until("response.done")
        order = types(events)
        completed = order.index("conversation.item.input_audio_transcription.completed")
        assert order.index("input_audio_buffer.committed") < order.index("response.created")
        assert (
            order.index("response.created") < completed < order.index("response.output_item.added")
        )
        assert events[completed]["transcript"] == "What time is it"
        # The reply answered what was said, whenever the transcript came.
        assert events[-1]["response"]["output"][0]["content"][0]["transcript"] == (
            "You said: What time is it"
        )
        await c.close()


async def test_late_transcription_fault_holds_it_past_the_response() -> None:
    async with FakeRealtimeServer(clock=FakeClock(), synthesizer=VOICE) as server:
        server.faults.late_transcriptions()
        c = await connect(server)
        await update(c, audio={"input": {"transcription": {"model": "whisper-1"}}})
        await c.append(silence(300) + server.speak("Call me later") + silence(800))
        events = await c.recv_until("conversation.item.input_audio_transcription.completed")
        assert types(events).index("response.done") < len(events) - 1
        await c.close()


async def test_transcription_delay_holds_the_transcript_on_the_server_clock() -> None:
    clock = FakeClock(auto_advance=False)
    recognizer = ScriptedRecognizer(["Hold on"])
    async with FakeRealtimeServer(
        clock=clock, synthesizer=VOICE, recognizer=recognizer, transcription_delay_ms=700
    ) as server:
        c = await connect(server)
        await update(
            c,
            audio={"input": {"transcription": {"model": "whisper-1"}, "turn_detection": None}},
        )
        await c.append(tone(500))
        await c.send({"type": "input_audio_buffer.commit"})
        await c.send({"type": "conversation.item.retrieve", "item_id": "item_nope"})
        events = await c.recv_until("error")
        assert "conversation.item.input_audio_transcription.completed" not in types(events)
        clock.advance(0.7)
        completed = await c.expect("conversation.item.input_audio_transcription.delta")
        assert completed["delta"] == "Hold on"
        await c.expect("conversation.item.input_audio_transcription.completed")
        await c.close()


async def _turn_end(words: str, turn_detection: dict[str, Any]) -> int:
    """Where a turn of one second of speech (heard as ``words``), then silence, ends."""
    async with FakeRealtimeServer(
        clock=FakeClock(), synthesizer=VOICE, recognizer=ScriptedRecognizer([words])
    ) as server:
        c = await connect(server)
        vad = {**turn_detection, "create_response": False}
        await update(c, audio={"input": {"turn_detection": vad}})
        await c.append(silence(500) + tone(1000) + silence(9000))
        stopped = (await c.recv_until("input_audio_buffer.speech_stopped"))[-1]
        await c.close()
        return int(stopped["audio_end_ms"])


@pytest.mark.parametrize(
    ("eagerness", "finished", "unfinished"),
    [("high", 250, 2000), ("auto", 500, 4000), ("medium", 500, 4000), ("low", 1000, 8000)],
)
async def test_semantic_vad_waits_longer_when_the_words_sound_unfinished(
    eagerness: str, finished: int, unfinished: int
) -> None:
    vad = {"type": "semantic_vad", "eagerness": eagerness}
    speech_end = 1500
    assert await _turn_end("Book a table for two.", vad) == speech_end + finished
    assert await _turn_end("I would like to book a table and", vad) == speech_end + unfinished
    assert await _turn_end("So, um...", vad) == speech_end + unfinished


async def test_server_vad_honours_interrupt_and_create_response(
    paced: tuple[FakeRealtimeServer, FakeClock],
) -> None:
    server, _ = paced
    c = await connect(server)
    vad = {"type": "server_vad", "interrupt_response": False, "create_response": False}
    await update(c, audio={"input": {"turn_detection": vad}})
    await c.send({"type": "response.create"})
    await c.recv_until("response.output_audio.delta")
    await c.append(tone(400) + silence(600))
    events = await c.recv_until("conversation.item.done")  # the turn is committed…
    assert "input_audio_buffer.speech_started" in types(events)
    assert "response.done" not in types(events)  # …the response was not interrupted…
    await c.send({"type": "conversation.item.retrieve", "item_id": "item_nope"})
    assert "response.created" not in types(await c.recv_until("error"))  # …and none started
    await c.close()


async def test_idle_timeout_counts_from_the_end_of_playback() -> None:
    clock = FakeClock()
    # pace=0: the audio goes out at once, so response.done comes long before playback ends.
    async with FakeRealtimeServer(clock=clock, synthesizer=VOICE, pace=0) as server:
        c = await connect(server)
        vad = {"type": "server_vad", "idle_timeout_ms": 5000}
        await update(c, audio={"input": {"turn_detection": vad}})
        await c.send({"type": "response.create"})
        done = (await c.recv_until("response.done"))[-1]["response"]
        played_s = done["usage"]["output_token_details"]["audio_tokens"] * 0.05
        assert played_s > 0.5
        clock.advance(played_s + 4.8)  # still inside playback + 5 s
        await c.send({"type": "conversation.item.retrieve", "item_id": "item_nope"})
        assert types(await c.recv_until("error")) == ["error"]
        clock.advance(0.3)
        events = await c.recv_until("response.created")
        assert events[0]["type"] == "input_audio_buffer.timeout_triggered"
        assert "input_audio_buffer.committed" in types(events)
        await c.close()
