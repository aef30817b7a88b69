"""The weather line's tool; ``weather.toml`` loads it by path (``weather_tools.py:get_weather``)."""

from __future__ import annotations


def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: the city, e.g. "Paris".
    """
    return {"city": city, "temperature_c": 21, "sky": "sunny"}
