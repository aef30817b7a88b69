"""Translation and transcription sessions of the fake server."""

from __future__ import annotations

import base64
import itertools

import pytest

from realtime_kit.testing import (
    FakeClock,
    FakeRealtimeServer,
    ScriptedTranslator,
    TranslationTiming,
)
from realtime_kit.testing._audio import silence
from tests.testing._client import Client, open_client, types

pytestmark = pytest.mark.anyio

TRANSLATE = "/realtime/translations?model=gpt-realtime-translate"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def append_frames(c: Client, pcm: bytes) -> None:
    for i in range(0, len(pcm), 9600):
        await c.send(
            {
                "type": "session.input_audio_buffer.append",
                "audio": base64.b64encode(pcm[i : i + 9600]).decode(),
            }
        )


async def test_translation_flow_and_close(server: FakeRealtimeServer) -> None:
    server.state.parts.translator = ScriptedTranslator(
        {("Where is the station?", "de"): "Wo ist der Bahnhof?"}
    )
    c = await open_client(server.ws_base_url + TRANSLATE)
    created = (await c.expect("session.created"))["session"]
    assert created["audio"]["input"]["transcription"] is None
    await c.send({"type": "session.update", "session": {"audio": {"output": {"language": "de"}}}})
    assert (await c.expect("session.updated"))["session"]["audio"]["output"]["language"] == "de"
    speech = silence(400) + server.speak("Where is the station?")
    await append_frames(c, speech)  # no trailing silence: close must flush the utterance
    await c.send({"type": "session.close"})
    events = await c.recv_until("session.closed")
    assert "session.input_transcript.delta" not in types(events)  # input transcription is off
    text = "".join(e["delta"] for e in events if e["type"] == "session.output_transcript.delta")
    assert text == "Wo ist der Bahnhof?"
    audio = [e for e in events if e["type"] == "session.output_audio.delta"]
    assert {(e["sample_rate"], e["channels"], e["format"]) for e in audio} == {(24000, 1, "pcm16")}
    steps = [e["elapsed_ms"] for e in audio]
    # Nothing arrives after the close, so the output stays aligned with the last (padded) frame.
    assert all(0 <= b - a <= 200 for a, b in itertools.pairwise(steps))
    assert max(steps) == -(-len(speech) // 9600) * 200
    assert await c.closed() == (1000, "")


async def test_translation_update_rules(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + TRANSLATE)
    await c.expect("session.created")
    await c.send({"type": "session.update", "session": {"model": "gpt-realtime"}})
    assert (await c.expect("error"))["error"]["param"] == "session.model"
    await c.send({"type": "session.update", "session": {"voice": "alloy"}})
    assert (await c.expect("error"))["error"]["code"] == "unknown_parameter"
    await c.send({"type": "response.create"})
    assert (await c.expect("error"))["error"]["param"] == "type"
    await c.send({"type": "session.input_audio_buffer.append", "audio": "AA=="})
    assert (await c.expect("error"))["error"]["param"] == "audio"
    await c.close()


async def test_transcription_vad_turns_and_usage(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
    await c.expect("session.created")
    await c.send(
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"transcription": {"model": "whisper-1"}}},
            },
        }
    )
    await c.expect("session.updated")
    await c.append(silence(500) + server.speak("Hello there, my friend.") + silence(800))
    events = await c.recv_until("conversation.item.input_audio_transcription.completed")
    assert types(events)[:5] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    deltas = [e for e in events if e["type"].endswith("transcription.delta")]
    assert len(deltas) == 1  # whisper-1 sends the whole turn at once
    completed = events[-1]
    assert completed["transcript"] == "Hello there, my friend."
    assert completed["usage"]["type"] == "duration"
    assert "response.created" not in types(events)
    await c.send(
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-4o-mini-transcribe"},
                        "turn_detection": None,
                    }
                },
            },
        }
    )
    await c.expect("session.updated")
    await c.append(server.speak("Second turn now."))
    await c.send({"type": "input_audio_buffer.commit"})
    events = await c.recv_until("conversation.item.input_audio_transcription.completed")
    committed = next(e for e in events if e["type"] == "input_audio_buffer.committed")
    assert committed["previous_item_id"] == completed["item_id"]
    usage = events[-1]["usage"]
    assert usage["type"] == "tokens"
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    await c.close()


async def test_live_model_deltas_start_before_the_commit(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
    await c.expect("session.created")
    await c.send(
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-live-transcribe"},
                        "turn_detection": None,
                    }
                },
            },
        }
    )
    await c.expect("session.updated")
    await c.append(server.speak("One two three four five six."))
    await c.send({"type": "input_audio_buffer.commit"})
    events = await c.recv_until("conversation.item.input_audio_transcription.completed")
    order = types(events)
    committed = order.index("input_audio_buffer.committed")
    assert order[0] == "conversation.item.input_audio_transcription.delta"
    assert events[0]["item_id"] == events[committed]["item_id"]
    assert "conversation.item.input_audio_transcription.delta" in order[committed:]
    text = "".join(e["delta"] for e in events if e["type"].endswith(".delta"))
    assert text == events[-1]["transcript"] == "One two three four five six."
    await c.close()


async def test_empty_commit_error_arrives_late_in_transcription_sessions() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock) as server:
        c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
        await c.expect("session.created")
        await c.send(
            {
                "type": "session.update",
                "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
            }
        )
        await c.expect("session.updated")
        await c.append(silence(40))
        await c.send({"type": "input_audio_buffer.commit", "event_id": "too_short"})
        await c.append(silence(60) + silence(200))
        await c.send({"type": "input_audio_buffer.commit", "event_id": "fine"})
        events = await c.recv_until("error")
        assert types(events) == [
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
            "error",
        ]
        assert events[-1]["error"]["event_id"] == "too_short"
        # Without a later commit, the error still comes after a second of server time.
        await c.send({"type": "input_audio_buffer.commit", "event_id": "alone"})
        # The server reads frames apart from handling them: an answered no-op update proves the
        # commit was handled (its second starts) before the clock moves.
        await c.send({"type": "session.update", "session": {"type": "transcription"}})
        await c.expect("session.updated")
        clock.advance(1.0)
        assert (await c.expect("error"))["error"]["event_id"] == "alone"
        await c.close()


async def test_translation_stamps_never_run_ahead_of_the_input(server: FakeRealtimeServer) -> None:
    # PROTOCOL.md §3.3/§5: elapsed_ms is derived from the translation frame, the input position a
    # delta aligns with; a server cannot align output with input it has not been sent.
    server.state.parts.translator = ScriptedTranslator(
        {("Where is the station?", "de"): "Wo ist denn bitte der Bahnhof hier in dieser Stadt?"}
    )
    c = await open_client(server.ws_base_url + TRANSLATE)
    await c.expect("session.created")
    await c.send({"type": "session.update", "session": {"audio": {"output": {"language": "de"}}}})
    await c.expect("session.updated")
    speech = silence(400) + server.speak("Where is the station?") + silence(800)
    await append_frames(c, speech)  # then nothing more: the output is longer than what is left
    sent_ms = len(speech) // 48
    events, text = [], ""
    while text != "Wo ist denn bitte der Bahnhof hier in dieser Stadt?":
        event = await c.recv()
        events.append(event)
        if event["type"] == "session.output_transcript.delta":
            text += event["delta"]
    stamps = [e["elapsed_ms"] for e in events if "elapsed_ms" in e]
    audio = sum(
        len(base64.b64decode(e["delta"]))
        for e in events
        if e["type"] == "session.output_audio.delta"
    )
    assert audio // 48 > 800  # more output than input after the utterance ended
    assert stamps == sorted(stamps)
    assert all(s % 200 == 0 for s in stamps)
    assert max(stamps) <= sent_ms
    await c.close()


async def test_translation_output_stamps_follow_the_input_as_it_arrives() -> None:
    clock = FakeClock(auto_advance=False)
    # No lag and 200 ms chunks: each chunk is exactly one frame, due exactly 200 ms apart.
    steady = ScriptedTranslator(timing=TranslationTiming(delay_ms=0, chunk_ms=(200,)))
    async with FakeRealtimeServer(clock=clock, pace=1.0, translator=steady) as server:
        c = await open_client(server.ws_base_url + TRANSLATE)
        await c.expect("session.created")
        speech = silence(400) + server.speak("Where is the station?") + silence(800)
        speech += silence(200)[: -len(speech) % 9600 or 0]  # whole frames: all of it is consumed
        await append_frames(c, speech)
        consumed = len(speech) // 48

        async def next_stamp() -> int:
            while (event := await c.recv())["type"] != "session.output_audio.delta":
                pass
            return int(event["elapsed_ms"])

        first = await next_stamp()
        stamps = [first]
        for k in range(1, 5):
            if k % 2:  # one more frame of input on odd steps, confirmed consumed by a round trip
                await append_frames(c, silence(200))
                consumed += 200
                await c.send({"type": "session.update", "session": {"audio": {}}})
                await c.recv_until("session.updated")
            clock.advance(0.2)
            stamps.append(await next_stamp())
            assert stamps[-1] == min(first + k * 200, consumed)
        assert stamps == sorted(stamps)
        await c.close()
