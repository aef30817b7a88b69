"""What the simulation tests' agent knows: its tool and its long answer."""

from __future__ import annotations

ANSWER = "It is sunny and 21 degrees in Paris, with a light breeze from the west all afternoon."


def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: the city.
    """
    return {"city": city, "temperature_c": 21, "sky": "sunny"}
