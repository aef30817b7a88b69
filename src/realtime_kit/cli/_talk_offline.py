"""The demo agent behind ``realtime-kit talk --offline``: a weather line with one tool.

The embedded fake server plays the model: it calls ``get_weather`` when the caller asks about
the weather, reads the tool's answer back, and says goodbye when thanked. The tool itself runs
here, in the app, like any Conversation tool (it returns made-up but stable data: offline there
is no weather service).

Imports: the standard library, :mod:`realtime_kit.cli._offline`, and :mod:`realtime_kit.testing`
(the ``testing`` extra) lazily.
"""

from __future__ import annotations

import json
import os
from typing import Any

from realtime_kit.cli._offline import SidecarRecognizer, sidecar_for
from realtime_kit.errors import MissingExtraError

__all__ = ["demo_server", "demo_tools", "get_weather"]

_CITIES = {"paris": (21, "sunny"), "lisbon": (24, "clear"), "london": (14, "cloudy")}


def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: the city, e.g. "Paris".
    """
    temperature, sky = _CITIES.get(city.strip().lower(), (18, "mild"))
    return {"city": city, "temperature_c": temperature, "sky": sky}


def demo_tools() -> list[Any]:
    """The demo agent's tools."""
    return [get_weather]


def _reply(context: Any) -> Any:
    from realtime_kit.testing import Reply, ToolCall

    if context.tool_output is not None:
        try:
            data = json.loads(context.tool_output)
            return Reply(
                text=f"It is {data['sky']} and {data['temperature_c']} degrees in {data['city']}."
            )
        except (ValueError, KeyError, TypeError):
            return Reply(text="Sorry, the weather service did not answer.")
    words = context.user_text.lower()
    if "weather" in words:
        city = next((c.title() for c in _CITIES if c in words), "Paris")
        return Reply(tool_calls=[ToolCall("get_weather", {"city": city})])
    if "thank" in words or "bye" in words:
        return Reply(text="You are welcome. Goodbye!")
    return Reply(text="I can tell you the weather. Which city?")


def demo_server(wav: str | os.PathLike[str] | None) -> Any:
    """A fake server that plays the demo agent and recognizes ``wav``'s sentences."""
    try:
        from realtime_kit.testing import FakeRealtimeServer, ScriptedBrain, ScriptedRecognizer
    except ImportError as exc:
        raise MissingExtraError("testing", exc.name or "realtime_kit.testing") from exc
    sidecar = sidecar_for(wav) if wav is not None else None
    recognizer: Any
    if wav is not None and sidecar is not None:
        recognizer = SidecarRecognizer(wav, sidecar)
    else:
        recognizer = ScriptedRecognizer(default="[speech]")
    return FakeRealtimeServer(recognizer=recognizer, brain=ScriptedBrain(func=_reply))
