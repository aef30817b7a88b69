"""realtime_kit: an async SDK for the OpenAI Realtime API (GA).

The package root re-exports the public names of its subpackages; ``__all__`` here and there agree
(a test checks it).
"""

from __future__ import annotations

from realtime_kit import errors
from realtime_kit.errors import RealtimeKitError

__all__ = ["RealtimeKitError", "__version__", "errors"]

__version__ = "0.1.0.dev0"
