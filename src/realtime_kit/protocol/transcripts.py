"""Cutting a transcript to the words a listener heard.

When playback of an assistant item stops part-way (barge-in), the words after the heard
position were never heard and must not stay in the transcript or the history. The Realtime API
gives no word timings for assistant audio, so the cut is made by time share: the listener heard
``heard_ms / total_ms`` of the item's audio, so keep the words whose middle falls inside that
share of the text's characters (speech time tracks characters far better than word counts).

Imports: the standard library only.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["cut_transcript"]

_WORD: Final = re.compile(r"\S+")


def cut_transcript(text: str, heard_ms: float, total_ms: float) -> str:
    """The prefix of ``text`` heard after ``heard_ms`` of ``total_ms`` of its audio.

    Whole words only: a word counts as heard when its middle was. Returns ``""`` when nothing
    was heard and ``text`` unchanged when everything was. The result is always a prefix of
    ``text`` (without trailing whitespace) and never shrinks as ``heard_ms`` grows.
    """
    if heard_ms <= 0 or total_ms <= 0 or not text:
        return ""
    if heard_ms >= total_ms:
        return text
    words = list(_WORD.finditer(text))
    if not words:
        return ""
    # Measure from the first word to the end of the last one (leading spaces take no time).
    start = words[0].start()
    span = words[-1].end() - start
    limit = span * (heard_ms / total_ms)
    end = 0
    for match in words:
        middle = (match.start() + match.end()) / 2 - start
        if middle > limit:
            break
        end = match.end()
    return text[:end]
