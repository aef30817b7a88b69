"""realtime_kit: an async SDK for the OpenAI Realtime API (GA).

The package root re-exports the public names of its subpackages; ``__all__`` here and there agree
(a test checks it).
"""

from __future__ import annotations

from realtime_kit import audio, errors
from realtime_kit.audio import PCMFrame, PlaybackClock, PlaybackPosition, Resampler
from realtime_kit.errors import RealtimeKitError

__all__ = [
    "PCMFrame",
    "PlaybackClock",
    "PlaybackPosition",
    "RealtimeKitError",
    "Resampler",
    "__version__",
    "audio",
    "errors",
]

__version__ = "0.1.0.dev0"
