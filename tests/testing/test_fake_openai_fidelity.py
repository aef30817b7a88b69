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

from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedBrain, ToolCall

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
