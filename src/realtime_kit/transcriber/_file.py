"""``realtime_kit.transcribe_file``: one call from a WAV file to a :class:`Transcript`.

Imports: the standard library and sibling modules.
"""

from __future__ import annotations

import os
from typing import Any

from realtime_kit.transcriber._captions import Transcript
from realtime_kit.transcriber._input import wav_source
from realtime_kit.transcriber._transcriber import Transcriber

__all__ = ["transcribe_file"]


async def transcribe_file(
    path: str | os.PathLike[str],
    *,
    model: str = "gpt-realtime-whisper",
    api_key: str | None = None,
    base_url: str | None = None,
    realtime: bool = False,
    **options: Any,
) -> Transcript:
    """Transcribe a WAV file (any rate, any channels) and return its :class:`Transcript`.

    The audio is sent as fast as the server takes it, or paced like a live source with
    ``realtime=True``. ``options`` are :class:`Transcriber` arguments (``language``,
    ``turn_detection``, ``budget``, ``organization``, ``transport``, …).

    Raises:
        AudioError: the file is not a PCM WAV file.
        ConfigurationError: bad options, or no API key.
        RealtimeKitError: the session failed for good (after reconnect attempts).
    """
    transcriber = Transcriber(model, api_key=api_key, base_url=base_url, **options)
    return await transcriber.transcribe(wav_source(path, realtime=realtime))
