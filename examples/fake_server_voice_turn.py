"""A voice turn against the fake Realtime server, driven by the official ``openai`` client.

Runs offline: it starts ``FakeRealtimeServer`` on 127.0.0.1, says a sentence into the session
(espeak-ng speech), lets the server's VAD end the turn, answers the tool call the scripted brain
makes, and prints what happened.

    python examples/fake_server_voice_turn.py
"""

from __future__ import annotations

import asyncio
import base64
import json

from openai import AsyncOpenAI

from realtime_kit.testing import FakeClock, FakeRealtimeServer, ScriptedBrain, ToolCall

TOOLS = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]


async def main() -> None:
    brain = ScriptedBrain(tool_triggers={"weather": ToolCall("get_weather", {"city": "Lisbon"})})
    async with FakeRealtimeServer(clock=FakeClock(), brain=brain, seed=1) as server:
        speech = bytes(9600) + server.speak("What's the weather like in Lisbon?") + bytes(24000)
        async with (
            AsyncOpenAI(
                api_key="sk-demo", base_url=server.base_url, websocket_base_url=server.ws_base_url
            ) as client,
            client.realtime.connect(model="gpt-realtime") as conn,
        ):
            await conn.session.update(session={"type": "realtime", "tools": TOOLS})  # type: ignore[typeddict-item]
            for i in range(0, len(speech), 4800):
                chunk = base64.b64encode(speech[i : i + 4800]).decode()
                await conn.input_audio_buffer.append(audio=chunk)
            audio_bytes = 0
            async for event in conn:
                if event.type == "input_audio_buffer.speech_started":
                    print(f"speech started at {event.audio_start_ms} ms")
                elif event.type == "input_audio_buffer.speech_stopped":
                    print(f"speech stopped at {event.audio_end_ms} ms")
                elif event.type == "response.function_call_arguments.done":
                    print(f"tool call: {event.name}({json.loads(event.arguments)})")
                    await conn.conversation.item.create(
                        item={
                            "type": "function_call_output",
                            "call_id": event.call_id,
                            "output": "sunny, 24 C",
                        }
                    )
                elif event.type == "response.output_audio.delta":
                    audio_bytes += len(base64.b64decode(event.delta))
                elif event.type == "response.done":
                    output = event.response.output or []
                    if output and output[0].type == "function_call":
                        await conn.response.create()
                        continue
                    transcript = output[0].content[0].transcript  # type: ignore[union-attr]
                    print(f"assistant said: {transcript!r} ({audio_bytes // 48} ms of audio)")
                    usage = event.response.usage
                    assert usage is not None
                    print(f"usage: {usage.input_tokens} in, {usage.output_tokens} out")
                    break


if __name__ == "__main__":
    asyncio.run(main())
