"""A voice agent with a tool, offline: ``python examples/voice_agent.py``.

It runs against the embedded fake Realtime server (no API key, nothing leaves the machine): a
caller asks about the weather, the agent calls a Python function, answers, is interrupted by
the caller halfway through a long answer, and the conversation log shows what the caller
actually heard. Swap ``FakeRealtimeServer`` for nothing and pass your key to talk to OpenAI.
"""

from __future__ import annotations

import anyio

from realtime_kit import Conversation
from realtime_kit.conversation import (
    AssistantTranscript,
    Interrupted,
    ResponseDone,
    ToolCallFinished,
    UserTranscript,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer, Reply, ScriptedBrain, ToolCall
from realtime_kit.testing.listener import SimulatedListener


def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: the city, e.g. "Paris".
    """
    return {"city": city, "temperature_c": 21, "sky": "sunny"}


async def main() -> None:
    # The fake server plays the model; its clock is fake, so replies stream at once.
    clock = FakeClock()
    brain = ScriptedBrain(
        [
            Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
            "It is sunny and 21 degrees in Paris, with a light breeze from the west all afternoon.",
            "You are welcome, goodbye!",
        ]
    )
    async with FakeRealtimeServer(clock=clock, brain=brain) as server:
        # A listener that plays the agent's audio in time with its own clock (a test's speaker).
        ear = FakeClock(auto_advance=False)
        listener = SimulatedListener(ear.now)
        async with Conversation(
            "gpt-realtime-2",
            instructions="You are the weather line. Be brief.",
            tools=[get_weather],
            playback=listener,
            api_key="sk-example",
            base_url=server.base_url,
            clock=clock.wall,
        ) as conv:
            silence = bytes(48_000)  # 1 s of PCM16 at 24 kHz
            await conv.send_audio(server.speak("What is the weather in Paris?") + silence)
            async for event in conv.events():
                match event:
                    case UserTranscript():
                        print(f"caller: {event.text}")
                    case ToolCallFinished():
                        print(f"  tool {event.name} -> {event.output}")
                    case AssistantTranscript():
                        print(f"agent:  {event.text}")
                        if "breeze" in event.text:
                            # The caller hears two seconds of this long answer, then talks.
                            ear.advance(2.0)
                            await conv.send_audio(server.speak("Thanks, bye.") + silence)
                    case Interrupted():
                        print(f"  (caller interrupted after {event.heard_ms} ms)")
                    case ResponseDone() if "goodbye" in conv.log.turns()[-1].text:
                        break
            print("\nWhat the caller heard:")
            print(conv.log.transcript())
            print(f"\ncost: ${conv.cost_usd:.4f}")


if __name__ == "__main__":
    anyio.run(main)
