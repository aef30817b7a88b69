"""``realtime_kit.translate_file``: one call from a WAV file to a :class:`Translation`.

Imports: the standard library and sibling modules (and the transcriber's WAV source).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from realtime_kit.transcriber._input import wav_source
from realtime_kit.translator._events import Translation
from realtime_kit.translator._translator import Translator

__all__ = ["translate_file"]


async def translate_file(
    path: str | os.PathLike[str],
    to: str | Sequence[str] = "es",
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    realtime: bool = False,
    **options: Any,
) -> Translation:
    """Translate a WAV file (any rate, any channels) into ``to`` and return the result.

    The audio is sent as fast as the sessions take it, or paced like a live source with
    ``realtime=True``. ``options`` are :class:`Translator` arguments (``source_transcript``,
    ``budget``, ``languages``, ``transport``, …).

    Raises:
        AudioError: the file is not a PCM WAV file.
        ConfigurationError: bad options, an unsupported language, or no API key.
        RealtimeKitError: every language failed (after reconnect attempts).
    """
    translator = Translator(to, api_key=api_key, base_url=base_url, **options)
    return await translator.translate(wav_source(path, realtime=realtime))
