"""Realtime session behaviour of the fake server (PROTOCOL.md §2–§5, §8)."""

from __future__ import annotations

import base64

import pytest

from realtime_kit.testing import (
    FakeClock,
    FakeRealtimeServer,
    Reply,
    ScriptedBrain,
    ToolCall,
    TurnContext,
)
from realtime_kit.testing._audio import silence, tone
from tests.testing._client import Client, open_client, types

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the caller's backend is covered in test_fake_connect; this is server logic


async def manual(client: Client, **session: object) -> None:
    """Turn VAD off (manual commits) and apply extra session fields."""
    await client.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": None}},
                **session,
            },
        }
    )
    await client.expect("session.updated")


async def test_update_with_unknown_field_is_rejected_whole(client: Client) -> None:
    await client.send(
        {
            "type": "session.update",
            "event_id": "evt_1",
            "session": {
                "type": "realtime",
                "instructions": "changed",
                "audio": {"input": {"colour": "blue"}},
            },
        }
    )
    error = (await client.expect("error"))["error"]
    assert error == {
        "type": "invalid_request_error",
        "code": "unknown_parameter",
        "message": "Unknown parameter: 'session.audio.input.colour'.",
        "param": "session.audio.input.colour",
        "event_id": "evt_1",
    }
    await client.send({"type": "session.update", "session": {"type": "realtime"}})
    updated = await client.expect("session.updated")
    assert updated["session"]["instructions"] != "changed"
    assert "event_id" in updated


async def test_update_validation_errors(client: Client) -> None:
    await client.send({"type": "session.update", "session": {"instructions": "x"}})
    assert (await client.expect("error"))["error"]["code"] == "missing_required_parameter"
    await client.send({"type": "session.update", "session": {"type": "transcription"}})
    assert (await client.expect("error"))["error"]["param"] == "session.type"
    await client.send(
        {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["x"]}}
    )
    assert (await client.expect("error"))["error"]["code"] == "invalid_value"
    await client.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"output": {"speed": 3}}},
        }
    )
    assert (await client.expect("error"))["error"]["param"] == "session.audio.output.speed"


async def test_partial_merge_keeps_absent_keys_and_null_clears(client: Client) -> None:
    await client.send(
        {"type": "session.update", "session": {"type": "realtime", "instructions": "A"}}
    )
    await client.expect("session.updated")
    await client.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.7}}},
            },
        }
    )
    session = (await client.expect("session.updated"))["session"]
    assert session["instructions"] == "A"
    td = session["audio"]["input"]["turn_detection"]
    assert (td["threshold"], td["silence_duration_ms"]) == (0.7, 200)
    await manual(client)


async def test_unknown_event_type_is_invalid_value(client: Client) -> None:
    await client.send({"type": "conversation.teleport", "event_id": "e9"})
    error = (await client.expect("error"))["error"]
    assert (error["code"], error["param"], error["event_id"]) == ("invalid_value", "type", "e9")
    await client.send_raw("{not json")
    assert (await client.expect("error"))["error"]["code"] == "invalid_json"


async def test_commit_needs_100_ms(client: Client) -> None:
    await manual(client)
    await client.append(silence(50))
    await client.send({"type": "input_audio_buffer.commit", "event_id": "c1"})
    error = (await client.expect("error"))["error"]
    assert error["code"] == "input_audio_buffer_commit_empty"
    assert error["event_id"] == "c1"
    assert error["message"] == (
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
        "audio, but buffer only has 50.00ms of audio."
    )
    await client.append(silence(60))
    await client.send({"type": "input_audio_buffer.commit"})
    committed = await client.expect("input_audio_buffer.committed")
    assert committed["previous_item_id"] is None
    added = await client.expect("conversation.item.added")
    assert added["item"]["content"] == [{"type": "input_audio", "transcript": None}]
    await client.expect("conversation.item.done")


async def test_clear_empties_the_buffer(client: Client) -> None:
    await manual(client)
    await client.append(silence(500))
    await client.send({"type": "input_audio_buffer.clear"})
    await client.expect("input_audio_buffer.cleared")
    await client.send({"type": "input_audio_buffer.commit"})
    assert "0.00ms" in (await client.expect("error"))["error"]["message"]


async def test_server_vad_timestamps_include_padding_and_silence(client: Client) -> None:
    await client.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {
                    "input": {
                        "turn_detection": {
                            "type": "server_vad",
                            "prefix_padding_ms": 300,
                            "silence_duration_ms": 400,
                            "create_response": False,
                        }
                    }
                },
            },
        }
    )
    await client.expect("session.updated")
    await client.append(silence(1000) + tone(1000) + silence(1000))
    started = await client.expect("input_audio_buffer.speech_started")
    stopped = await client.expect("input_audio_buffer.speech_stopped")
    committed = await client.expect("input_audio_buffer.committed")
    assert started["audio_start_ms"] == 1000 - 300
    assert stopped["audio_end_ms"] == 2000 + 400
    assert started["item_id"] == stopped["item_id"] == committed["item_id"]
    # A second turn continues on the session's time axis.
    await client.recv_until("conversation.item.done")
    await client.append(tone(500) + silence(600))
    again = await client.expect("input_audio_buffer.speech_started")
    assert again["audio_start_ms"] == 3000 - 300


async def test_vad_threshold_is_honoured(server: FakeRealtimeServer) -> None:
    quiet = silence(300) + tone(800, amplitude=0.003) + silence(800)
    for threshold, heard in ((0.9, False), (0.1, True)):
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await c.expect("session.created")
        await c.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {
                        "input": {
                            "turn_detection": {
                                "type": "server_vad",
                                "threshold": threshold,
                                "create_response": False,
                            }
                        }
                    },
                },
            }
        )
        await c.expect("session.updated")
        await c.append(quiet)
        await c.send({"type": "input_audio_buffer.clear"})
        got = await c.recv_until("input_audio_buffer.cleared")
        assert ("input_audio_buffer.speech_started" in types(got)) is heard
        await c.close()


async def test_items_chain_insert_delete_retrieve(client: Client) -> None:
    def text_item(text: str, item_id: str) -> dict[str, object]:
        return {
            "type": "message",
            "id": item_id,
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }

    await client.send({"type": "conversation.item.create", "item": text_item("one", "item_a")})
    first = await client.expect("conversation.item.added")
    assert first["previous_item_id"] is None
    assert (await client.expect("conversation.item.done"))["item"]["status"] == "completed"
    await client.send({"type": "conversation.item.create", "item": text_item("two", "item_b")})
    assert (await client.expect("conversation.item.added"))["previous_item_id"] == "item_a"
    await client.expect("conversation.item.done")
    await client.send(
        {
            "type": "conversation.item.create",
            "previous_item_id": "root",
            "item": text_item("zero", "item_0"),
        }
    )
    assert (await client.expect("conversation.item.added"))["previous_item_id"] is None
    await client.expect("conversation.item.done")
    await client.send({"type": "conversation.item.retrieve", "item_id": "item_b"})
    retrieved = await client.expect("conversation.item.retrieved")
    assert retrieved["item"]["content"][0]["text"] == "two"
    await client.send({"type": "conversation.item.delete", "item_id": "item_a"})
    assert (await client.expect("conversation.item.deleted"))["item_id"] == "item_a"
    await client.send({"type": "conversation.item.delete", "item_id": "item_a"})
    assert (await client.expect("error"))["error"]["code"] == "item_delete_invalid_item_id"
    await client.send({"type": "conversation.item.create", "item": text_item("dup", "item_b")})
    assert (await client.expect("error"))["error"]["param"] == "item.id"
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_audio", "transcript": "hi"}],
            },
        }
    )
    assert (await client.expect("error"))["error"]["param"] == "item.content[0].type"


async def test_user_audio_item_is_retrieved_with_its_audio(client: Client) -> None:
    pcm = tone(300)
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_audio", "audio": base64.b64encode(pcm).decode()}],
            },
        }
    )
    added = await client.expect("conversation.item.added")
    assert "audio" not in added["item"]["content"][0]
    await client.expect("conversation.item.done")
    await client.send({"type": "conversation.item.retrieve", "item_id": added["item"]["id"]})
    item = (await client.expect("conversation.item.retrieved"))["item"]
    assert base64.b64decode(item["content"][0]["audio"]) == pcm


async def test_text_response_lifecycle_and_usage(client: Client) -> None:
    await manual(client, output_modalities=["text"])
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "ping"}],
            },
        }
    )
    await client.recv_until("conversation.item.done")
    await client.send({"type": "response.create"})
    events = await client.recv_until("response.done")
    assert types(events)[:4] == [
        "response.created",
        "rate_limits.updated",
        "response.output_item.added",
        "conversation.item.added",
    ]
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == "You said: ping"
    done = events[-1]["response"]
    assert done["status"] == "completed"
    assert done["output"][0]["content"] == [{"type": "output_text", "text": text}]
    usage = done["usage"]
    assert usage["output_token_details"] == {"text_tokens": 4, "audio_tokens": 0}
    assert usage["input_tokens"] == usage["input_token_details"]["text_tokens"]


async def test_one_active_response_and_out_of_band() -> None:
    clock = FakeClock(auto_advance=False)
    async with FakeRealtimeServer(clock=clock, seed=3) as server:
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await c.expect("session.created")
        await manual(c)
        await c.send({"type": "response.create"})
        created = await c.expect("response.created")
        await c.recv_until("response.output_audio.delta")
        await c.send({"type": "response.create", "event_id": "again"})
        error = (await c.recv_until("error"))[-1]["error"]
        assert error["code"] == "conversation_already_has_active_response"
        assert created["response"]["id"] in error["message"]
        await c.send(
            {
                "type": "response.create",
                "response": {
                    "conversation": "none",
                    "output_modalities": ["text"],
                    "metadata": {"topic": "side"},
                },
            }
        )
        side = [e for e in await c.recv_until("response.done") if e["type"] == "response.done"]
        assert side[0]["response"]["conversation_id"] is None
        assert side[0]["response"]["metadata"] == {"topic": "side"}
        await c.send({"type": "response.cancel"})
        done = (await c.recv_until("response.done"))[-1]["response"]
        assert done["id"] == created["response"]["id"]
        assert done["status"] == "cancelled"
        assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
        assert done["output"][0]["status"] == "incomplete"
        await c.send({"type": "response.cancel"})
        assert (await c.expect("error"))["error"]["code"] == "response_cancel_not_active"
        # The out-of-band reply never entered the conversation.
        roles = [i.get("role") for i in server.connections[0].items]
        assert roles == ["assistant"]
        await c.close()


async def test_barge_in_cancels_with_turn_detected() -> None:
    clock = FakeClock(auto_advance=False)
    async with FakeRealtimeServer(clock=clock) as server:
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await c.expect("session.created")
        await c.send({"type": "response.create"})
        await c.recv_until("response.output_audio.delta")
        await c.append(silence(200) + tone(400))
        events = await c.recv_until("response.done")
        assert "input_audio_buffer.speech_started" in types(events)
        done = events[-1]["response"]
        assert done["status_details"]["reason"] == "turn_detected"
        await c.close()


async def test_function_call_streams_arguments() -> None:
    brain = ScriptedBrain([Reply(tool_calls=[ToolCall("lookup", {"q": "a long query text"})])])
    async with FakeRealtimeServer(clock=FakeClock(), brain=brain) as server:
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await c.expect("session.created")
        await c.send({"type": "response.create"})
        events = await c.recv_until("response.done")
        deltas = [e for e in events if e["type"] == "response.function_call_arguments.delta"]
        assert len(deltas) > 1
        done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
        assert (
            "".join(d["delta"] for d in deltas) == done["arguments"] == '{"q":"a long query text"}'
        )
        assert done["call_id"].startswith("call_")
        assert done["name"] == "lookup"
        await c.close()


async def test_truncate_validation(client: Client) -> None:
    await manual(client)
    await client.send({"type": "response.create"})
    events = await client.recv_until("response.done")
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    length_ms = len(audio) // 48
    item_id = events[-1]["response"]["output"][0]["id"]
    truncate = {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0}
    await client.send({**truncate, "audio_end_ms": length_ms + 500})
    assert (await client.expect("error"))["error"]["param"] == "audio_end_ms"
    await client.send({**truncate, "item_id": "item_missing", "audio_end_ms": 10})
    assert (await client.expect("error"))["error"]["code"] == "item_truncate_invalid_item_id"
    await client.send({**truncate, "audio_end_ms": 300})
    truncated = await client.expect("conversation.item.truncated")
    assert truncated["audio_end_ms"] == 300
    await client.send({"type": "conversation.item.retrieve", "item_id": item_id})
    item = (await client.expect("conversation.item.retrieved"))["item"]
    assert len(base64.b64decode(item["content"][0]["audio"])) == 300 * 48
    assert len(item["content"][0]["transcript"]) < len(
        events[-1]["response"]["output"][0]["content"][0]["transcript"]
    )


async def test_truncate_non_audio_item_is_an_error(client: Client) -> None:
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "id": "item_t",
                "role": "user",
                "content": [{"type": "input_text", "text": "x"}],
            },
        }
    )
    await client.recv_until("conversation.item.done")
    await client.send(
        {
            "type": "conversation.item.truncate",
            "item_id": "item_t",
            "content_index": 0,
            "audio_end_ms": 0,
        }
    )
    assert (await client.expect("error"))["error"]["param"] == "content_index"


async def test_session_expires_after_60_minutes() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock) as server:
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await c.expect("session.created")
        clock.advance(3599)
        await c.send({"type": "input_audio_buffer.clear"})
        await c.expect("input_audio_buffer.cleared")
        clock.advance(1)
        error = (await c.expect("error"))["error"]
        assert error["code"] == "session_expired"
        assert error["message"] == "Your session hit the maximum duration of 60 minutes."
        assert await c.closed() == (1001, error["message"])


async def test_transcription_session_rejects_response_events(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
    await c.expect("session.created")
    await c.send({"type": "response.create"})
    assert (await c.expect("error"))["error"]["param"] == "type"
    await c.close()


async def test_pcmu_input_is_measured_in_its_own_rate(client: Client) -> None:
    await manual(
        client,
        audio={"input": {"format": {"type": "audio/pcmu"}, "turn_detection": None}},
    )
    await client.send(
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\xff" * 400).decode()}
    )
    await client.send({"type": "input_audio_buffer.commit"})
    assert "50.00ms" in (await client.expect("error"))["error"]["message"]


async def test_idle_timeout_triggers_a_response() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock) as server:
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await c.expect("session.created")
        await c.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {
                        "input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}
                    },
                },
            }
        )
        await c.expect("session.updated")
        await c.append(silence(400))
        clock.advance(4.9)
        await c.send({"type": "conversation.item.retrieve", "item_id": "nope"})
        assert (await c.expect("error"))["error"]["code"] == "item_retrieve_invalid_item_id"
        clock.advance(0.2)
        triggered = await c.expect("input_audio_buffer.timeout_triggered")
        assert (triggered["audio_start_ms"], triggered["audio_end_ms"]) == (0, 400)
        committed = await c.expect("input_audio_buffer.committed")
        assert committed["item_id"] == triggered["item_id"]
        events = await c.recv_until("response.done")
        assert events[-1]["response"]["status"] == "completed"
        await c.close()


async def test_max_output_tokens_makes_the_response_incomplete(client: Client) -> None:
    await manual(client, output_modalities=["text"], max_output_tokens=2)
    await client.send({"type": "response.create"})
    done = (await client.recv_until("response.done"))[-1]["response"]
    assert done["status"] == "incomplete"
    assert done["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}


async def test_voice_is_fixed_after_audio_output(client: Client) -> None:
    await manual(client, audio={"output": {"voice": "marin"}, "input": {"turn_detection": None}})
    await client.send({"type": "response.create"})
    await client.recv_until("response.done")
    await client.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"output": {"voice": "ash"}}},
        }
    )
    assert (await client.expect("error"))["error"]["code"] == "cannot_update_voice"


async def test_response_input_replaces_the_context() -> None:
    seen: list[str] = []

    def brain(context: TurnContext) -> str:
        seen.append(context.user_text)
        return "ok"

    async with FakeRealtimeServer(clock=FakeClock(), brain=ScriptedBrain(func=brain)) as server:
        c = await open_client(server.ws_base_url + "/realtime?model=gpt-realtime")
        await c.expect("session.created")
        await manual(c, output_modalities=["text"])
        for text, item_id in (("first words", "item_1"), ("second words", "item_2")):
            await c.send(
                {
                    "type": "conversation.item.create",
                    "item": {
                        "type": "message",
                        "id": item_id,
                        "role": "user",
                        "content": [{"type": "input_text", "text": text}],
                    },
                }
            )
            await c.recv_until("conversation.item.done")
        await c.send(
            {
                "type": "response.create",
                "response": {
                    "conversation": "none",
                    "input": [{"type": "item_reference", "id": "item_1"}],
                },
            }
        )
        await c.recv_until("response.done")
        await c.send({"type": "response.create", "response": {"conversation": "none", "input": []}})
        await c.recv_until("response.done")
        await c.send({"type": "response.create"})
        await c.recv_until("response.done")
        assert seen == ["first words", "", "second words"]
        await c.close()


async def test_response_create_rejects_unknown_parameters(client: Client) -> None:
    await client.send({"type": "response.create", "response": {"temperature": 0.2}})
    error = (await client.expect("error"))["error"]
    assert (error["code"], error["param"]) == ("unknown_parameter", "response.temperature")
    await client.send({"type": "response.create", "response": {"conversation": "other"}})
    assert (await client.expect("error"))["error"]["param"] == "response.conversation"
