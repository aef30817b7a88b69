"""Proof of fidelity: the official ``openai`` package (3.51.0) against the fake server.

Every frame the SDK receives is validated against the SDK's own event union (real pydantic
validation, not the SDK's unchecked construction), and no model anywhere in it may carry a field
the SDK does not declare.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openai import AsyncOpenAI
from openai.types.realtime import (
    ClientSecretCreateResponse,
    RealtimeServerEvent,
    RealtimeTranslationClientSecretCreateResponse,
    RealtimeTranslationServerEvent,
)
from pydantic import BaseModel, TypeAdapter

from realtime_kit.testing import FakeClock, FakeRealtimeServer, Reply, ScriptedBrain, ToolCall

pytestmark = pytest.mark.anyio

_SERVER_EVENTS: TypeAdapter[Any] = TypeAdapter(RealtimeServerEvent)
_TRANSLATION_EVENTS: TypeAdapter[Any] = TypeAdapter(RealtimeTranslationServerEvent)
TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the official SDK's async client runs on asyncio only


def undeclared_fields(model: BaseModel, path: str = "") -> list[str]:
    found = [f"{path}.{k}" for k in (model.model_extra or {})]
    for name in type(model).model_fields:
        found += _walk(getattr(model, name), f"{path}.{name}")
    return found


def _walk(value: Any, path: str) -> list[str]:
    if isinstance(value, BaseModel):
        return undeclared_fields(value, path)
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _walk(v, f"{path}[{i}]")]
    return []


# The real server's session objects carry id/object/expires_at (PROTOCOL.md §2.1, observed on
# live sockets) although SDK 3.51.0 types session.created/updated with the *request* shape.
SERVER_ONLY = {".session.id", ".session.object", ".session.expires_at"}


def check(adapter: TypeAdapter[Any], raw: bytes) -> Any:
    """Parse ``raw`` strictly in the SDK's types; the event's class must match its type."""
    event = adapter.validate_json(raw)
    assert event.type == json.loads(raw)["type"]
    extra = [f for f in undeclared_fields(event) if f not in SERVER_ONLY]
    assert extra == [], (event.type, extra)
    return event


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    brain = ScriptedBrain(tool_triggers={"weather": ToolCall("get_weather", {"city": "Paris"})})
    async with FakeRealtimeServer(clock=FakeClock(), brain=brain, seed=1) as srv:
        yield srv


@pytest.fixture
async def client(server: FakeRealtimeServer) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(
        api_key="sk-fidelity", base_url=server.base_url, websocket_base_url=server.ws_base_url
    ) as sdk:
        yield sdk


def b64(pcm: bytes) -> str:
    return base64.b64encode(pcm).decode()


async def test_voice_turn_with_function_call(
    server: FakeRealtimeServer, client: AsyncOpenAI
) -> None:
    speech = bytes(9600) + server.speak("What is the weather in Paris?") + bytes(24000)
    seen: list[Any] = []
    async with client.realtime.connect(model="gpt-realtime") as conn:

        async def until(etype: str) -> Any:
            while True:
                event = check(_SERVER_EVENTS, await conn.recv_bytes())
                seen.append(event)
                if event.type == etype:
                    return event

        await until("session.created")
        await conn.session.update(
            session={
                "type": "realtime",
                "tools": TOOLS,  # type: ignore[typeddict-item]
                "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
            }
        )
        await until("session.updated")
        for i in range(0, len(speech), 4800):
            await conn.input_audio_buffer.append(audio=b64(speech[i : i + 4800]))
        first = await until("response.done")
        call = first.response.output[0]
        assert call.type == "function_call"
        assert call.name == "get_weather"
        assert json.loads(call.arguments) == {"city": "Paris"}
        await conn.conversation.item.create(
            item={"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21 C"}
        )
        await conn.response.create()
        second = await until("response.done")
    types = [e.type for e in seen]
    assert types.index("input_audio_buffer.speech_started") < types.index(
        "input_audio_buffer.speech_stopped"
    )
    transcript = next(
        e for e in seen if e.type == "conversation.item.input_audio_transcription.completed"
    )
    assert transcript.transcript == "What is the weather in Paris?"
    assert second.response.status == "completed"
    message = second.response.output[0]
    assert message.content[0].transcript == "Done: sunny, 21 C"
    audio = b"".join(
        base64.b64decode(e.delta) for e in seen if e.type == "response.output_audio.delta"
    )
    assert len(audio) > 24000  # more than half a second of speech
    usage = second.response.usage
    assert usage.output_token_details.audio_tokens == -(-len(audio) // 48 // 50)
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


async def test_transcription_session(server: FakeRealtimeServer, client: AsyncOpenAI) -> None:
    speech = server.speak("Please transcribe this sentence.")
    seen: list[Any] = []
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        created = check(_SERVER_EVENTS, await conn.recv_bytes())
        assert created.session.type == "transcription"
        await conn.session.update(
            session={
                "type": "transcription",
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-live-transcribe"},
                        "turn_detection": None,
                    }
                },
            }
        )
        for i in range(0, len(speech), 4800):
            await conn.input_audio_buffer.append(audio=b64(speech[i : i + 4800]))
        await conn.input_audio_buffer.commit()
        while True:
            event = check(_SERVER_EVENTS, await conn.recv_bytes())
            seen.append(event)
            if event.type == "conversation.item.input_audio_transcription.completed":
                break
    assert event.transcript == "Please transcribe this sentence."
    assert event.usage.type == "duration"
    assert event.usage.seconds == -(-len(speech) // 48000)
    deltas = "".join(
        e.delta for e in seen if e.type == "conversation.item.input_audio_transcription.delta"
    )
    assert deltas == event.transcript


async def test_translation_session(server: FakeRealtimeServer, client: AsyncOpenAI) -> None:
    speech = bytes(9600) + server.speak("Good morning everyone.") + bytes(28800)
    seen: list[Any] = []
    async with client.realtime.translations.connect(model="gpt-realtime-translate") as conn:
        created = check(_TRANSLATION_EVENTS, await conn.recv_bytes())
        assert created.session.type == "translation"
        await conn.session.update(
            session={
                "audio": {
                    "output": {"language": "es"},
                    "input": {"transcription": {"model": "gpt-realtime-whisper"}},
                }
            }
        )
        updated = check(_TRANSLATION_EVENTS, await conn.recv_bytes())
        assert updated.session.audio.output.language == "es"
        for i in range(0, len(speech), 9600):
            await conn.session.input_audio_buffer.append(audio=b64(speech[i : i + 9600]))
        await conn.session.close()
        while True:
            event = check(_TRANSLATION_EVENTS, await conn.recv_bytes())
            seen.append(event)
            if event.type == "session.closed":
                break
    source = "".join(e.delta for e in seen if e.type == "session.input_transcript.delta")
    target = "".join(e.delta for e in seen if e.type == "session.output_transcript.delta")
    assert source == "Good morning everyone."
    assert target == "[es] Good morning everyone."
    stamps = [e.elapsed_ms for e in seen if e.type == "session.output_audio.delta"]
    assert stamps
    assert all(s % 200 == 0 for s in stamps)
    assert stamps == sorted(stamps)


async def test_rest_client_secrets_and_call_control(
    server: FakeRealtimeServer, client: AsyncOpenAI
) -> None:
    secret = await client.realtime.client_secrets.create(
        expires_after={"anchor": "created_at", "seconds": 120},
        session={"type": "realtime", "model": "gpt-realtime-2", "instructions": "Hi."},
    )
    assert isinstance(secret, ClientSecretCreateResponse)
    assert secret.value.startswith("ek_")
    assert secret.session.model == "gpt-realtime-2"
    translation = await client.realtime.translations.client_secrets.create(
        session={"model": "gpt-realtime-translate", "audio": {"output": {"language": "fr"}}}
    )
    assert isinstance(translation, RealtimeTranslationClientSecretCreateResponse)
    assert translation.session.audio.output.language == "fr"
    call_id = server.create_call()
    await client.realtime.calls.accept(call_id, type="realtime", instructions="Answer.")
    await client.realtime.calls.refer(call_id, target_uri="tel:+14155550123")
    await client.realtime.calls.hangup(call_id)
    record = server.call(call_id)
    assert record.status == "ended"
    assert record.refers == ["tel:+14155550123"]
    assert record.session is not None
    assert record.session["instructions"] == "Answer."


async def test_every_other_event_shape_parses(
    server: FakeRealtimeServer, client: AsyncOpenAI
) -> None:
    """Errors, cancellation, failure, truncation, item operations, idle timeout, text output."""
    server.faults.fail_responses("server_error")
    seen: dict[str, Any] = {}
    async with client.realtime.connect(model="gpt-realtime") as conn:

        async def until(etype: str) -> Any:
            while True:
                event = check(_SERVER_EVENTS, await conn.recv_bytes())
                seen.setdefault(event.type, event)
                if event.type == etype:
                    return event

        await until("session.created")
        await conn.session.update(
            session={
                "type": "realtime",
                "audio": {
                    "input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}
                },
            }
        )
        await until("session.updated")
        await conn.response.create()
        failed = await until("response.done")
        assert failed.response.status == "failed"
        await conn.response.create()
        done = await until("response.done")
        item_id = done.response.output[0].id
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=200)
        await until("conversation.item.truncated")
        await conn.conversation.item.retrieve(item_id=item_id)
        await until("conversation.item.retrieved")
        await conn.conversation.item.delete(item_id=item_id)
        await until("conversation.item.deleted")
        await conn.input_audio_buffer.clear()
        await until("input_audio_buffer.cleared")
        await conn.response.cancel()
        await until("error")
        assert isinstance(server.clock, FakeClock)
        server.clock.advance(6)
        await until("input_audio_buffer.timeout_triggered")
        await until("response.done")
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await until("session.updated")
        await conn.response.create(response={"conversation": "none"})
        await until("response.output_text.done")
    assert seen["error"].error.code == "response_cancel_not_active"
    assert seen["response.output_text.delta"].delta


async def test_diarized_transcription_with_logprobs(
    server: FakeRealtimeServer, client: AsyncOpenAI
) -> None:
    speech = server.speak("Two speakers maybe.")
    seen: list[Any] = []
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        check(_SERVER_EVENTS, await conn.recv_bytes())
        await conn.session.update(
            session={
                "type": "transcription",
                "include": ["item.input_audio_transcription.logprobs"],
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-4o-transcribe-diarize"},
                        "turn_detection": None,
                    }
                },
            }
        )
        await conn.input_audio_buffer.append(audio=b64(speech))
        await conn.input_audio_buffer.commit()
        while True:
            event = check(_SERVER_EVENTS, await conn.recv_bytes())
            seen.append(event)
            if event.type == "conversation.item.input_audio_transcription.completed":
                break
    segment = next(e for e in seen if e.type.endswith(".segment"))
    assert (segment.text, segment.speaker, segment.start) == ("Two speakers maybe.", "A", 0.0)
    assert segment.end == pytest.approx(len(speech) / 48000, abs=0.001)
    assert "".join(p.token for p in event.logprobs) == event.transcript


async def test_mcp_listing_call_and_approval(client: AsyncOpenAI) -> None:
    from realtime_kit.testing import FakeMcpServer, McpToolError

    def handler(name: str, arguments: Any) -> str:
        if arguments.get("city") == "Atlantis":
            raise McpToolError("no such city")
        return f"{arguments['city']}: 18 C"

    mcp = FakeMcpServer(
        tools=[
            {"name": "forecast", "input_schema": {"type": "object"}, "description": "Forecast"},
            {"name": "hidden", "input_schema": {"type": "object"}},
        ],
        handler=handler,
    )
    brain = ScriptedBrain(
        tool_triggers={
            "forecast": ToolCall("forecast", {"city": "Oslo"}),
            "atlantis": ToolCall("forecast", {"city": "Atlantis"}),
        }
    )
    async with (
        FakeRealtimeServer(clock=FakeClock(), brain=brain, mcp_servers={"weather": mcp}) as server,
        AsyncOpenAI(
            api_key="sk-mcp", base_url=server.base_url, websocket_base_url=server.ws_base_url
        ) as sdk,
        sdk.realtime.connect(model="gpt-realtime") as conn,
    ):
        seen: list[Any] = []

        async def until(etype: str) -> Any:
            while True:
                event = check(_SERVER_EVENTS, await conn.recv_bytes())
                seen.append(event)
                if event.type == etype:
                    return event

        await until("session.created")
        mcp_tool = {
            "type": "mcp",
            "server_label": "weather",
            "server_url": "https://mcp.example/weather",
            "allowed_tools": ["forecast"],
            "require_approval": {"never": {"tool_names": ["forecast"]}},
        }
        await conn.session.update(
            session={"type": "realtime", "output_modalities": ["text"], "tools": [mcp_tool]}
        )
        listed = await until("conversation.item.done")
        assert [t.name for t in listed.item.tools] == ["forecast"]
        assert "mcp_list_tools.completed" in [e.type for e in seen]

        async def ask(text: str) -> Any:
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": text}],
                }
            )
            await conn.response.create()
            return await until("response.done")

        done = await ask("What is the forecast?")
        call, answer = done.response.output
        assert (call.type, call.output) == ("mcp_call", "Oslo: 18 C")
        assert answer.content[0].text == "Done: Oslo: 18 C"
        failed = await ask("And in Atlantis?")
        assert failed.response.output[0].error.message == "no such city"
        assert "response.mcp_call.failed" in [e.type for e in seen]

        mcp_tool["require_approval"] = "always"
        await conn.session.update(session={"type": "realtime", "tools": [mcp_tool]})
        await until("session.updated")
        pending = await ask("forecast again please")
        request = pending.response.output[0]
        assert request.type == "mcp_approval_request"
        await conn.conversation.item.create(
            item={
                "id": "mcpa_test1",
                "type": "mcp_approval_response",
                "approval_request_id": request.id,
                "approve": True,
            }
        )
        await conn.response.create()
        approved = await until("response.done")
        assert approved.response.output[0].approval_request_id == request.id
        assert approved.response.output[0].output == "Oslo: 18 C"
    assert mcp.calls == [
        ("forecast", {"city": "Oslo"}),
        ("forecast", {"city": "Atlantis"}),
        ("forecast", {"city": "Oslo"}),
    ]


async def test_voice_agent_flows_parse() -> None:
    """What a voice agent does (issue 14): a preamble then a tool call on gpt-realtime-2, a
    two-message answer, truncation while audio streams (before the cancel, as openai-agents
    does), out-of-band responses, cancel by id, late user transcripts, semantic VAD, errors."""
    clock = FakeClock(auto_advance=False)
    brain = ScriptedBrain(tool_triggers={"weather": ToolCall("get_weather", {"city": "Paris"})})
    seen: dict[str, Any] = {}
    async with (
        FakeRealtimeServer(clock=clock, brain=brain, seed=2) as server,
        AsyncOpenAI(
            api_key="sk-fidelity", base_url=server.base_url, websocket_base_url=server.ws_base_url
        ) as sdk,
        sdk.realtime.connect(model="gpt-realtime-2") as conn,
    ):

        async def until(etype: str) -> Any:
            while True:
                event = check(_SERVER_EVENTS, await conn.recv_bytes())
                seen.setdefault(event.type, event)
                if event.type == etype:
                    return event

        await until("session.created")
        await conn.session.update(
            session={
                "type": "realtime",
                "tools": TOOLS,  # type: ignore[typeddict-item]
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-4o-transcribe"},
                        "turn_detection": {"type": "semantic_vad", "eagerness": "high"},
                    }
                },
            }
        )
        await until("session.updated")
        speech = bytes(9600) + server.speak("What is the weather in Paris?") + bytes(72000)
        for i in range(0, len(speech), 4800):
            await conn.input_audio_buffer.append(audio=b64(speech[i : i + 4800]))
        await until("conversation.item.input_audio_transcription.completed")
        preamble = await until("response.output_audio.delta")  # paced: the rest waits
        clock.advance(60)
        first = await until("response.done")
        assert [o.type for o in first.response.output] == ["message", "function_call"]
        assert first.response.output[0].id == preamble.item_id
        call = first.response.output[1]
        await conn.conversation.item.create(
            item={"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}
        )
        brain.add(Reply(messages=["Here it is.", "It is sunny in Paris today."]))
        await conn.response.create()
        delta = await until("response.output_audio.delta")
        await conn.response.create(
            response={
                "conversation": "none",
                "output_modalities": ["text"],
                "metadata": {"kind": "summary"},
                "input": [{"type": "item_reference", "id": call.id}],  # type: ignore[list-item]
            }
        )
        side = await until("response.done")
        assert side.response.conversation_id is None
        assert side.response.metadata == {"kind": "summary"}
        await conn.response.create()
        assert (await until("error")).error.code == "conversation_already_has_active_response"
        await conn.conversation.item.truncate(
            item_id=delta.item_id, content_index=0, audio_end_ms=5000
        )
        assert "already shorter" in (await until("error")).error.message
        await conn.conversation.item.truncate(
            item_id=delta.item_id, content_index=0, audio_end_ms=100
        )
        await until("conversation.item.truncated")
        await conn.response.cancel(response_id=delta.response_id)
        cancelled = await until("response.done")
        assert cancelled.response.status == "cancelled"
        assert cancelled.response.output[0].status == "incomplete"
        await conn.conversation.item.retrieve(item_id=delta.item_id)
        retrieved = await until("conversation.item.retrieved")
        assert len(base64.b64decode(retrieved.item.content[0].audio)) == 100 * 48
