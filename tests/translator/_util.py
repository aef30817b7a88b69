"""Helpers for the translator tests: a clock moved by hand, speech, subtitle parsing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio

from realtime_kit.translator import TargetFinal, Translator, TranslatorEvent
from tests.transcriber._util import Speech, build_speech

KEY = "sk-test-key"
SENTENCES = (
    "Where is the station?",
    "I would like a coffee please.",
    "The train leaves at noon.",
)
FRAME = 9_600  # 200 ms of PCM16 at 24 kHz

__all__ = [
    "FRAME",
    "KEY",
    "SENTENCES",
    "Cue",
    "ManualClock",
    "Speech",
    "build_speech",
    "chunks",
    "collect",
    "finals",
    "parse_srt",
    "parse_vtt",
    "wait_for",
]


class ManualClock:
    """A stall clock that moves only when the test says so (no wall-clock timing in tests)."""

    def __init__(self) -> None:
        self._now = 0.0
        self._moved = anyio.Event()

    def now(self) -> float:
        return self._now

    async def sleep_until(self, deadline: float) -> None:
        while self._now < deadline:
            moved = self._moved
            await moved.wait()

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._moved.set()
        self._moved = anyio.Event()


async def chunks(data: bytes, size: int = 4_800) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def collect(translator: Translator) -> list[TranslatorEvent]:
    """Every event until the stream ends."""
    return [event async for event in translator.events()]


async def wait_for(translator: Translator, predicate: Any) -> list[TranslatorEvent]:
    """Events until one satisfies ``predicate`` (that one included)."""
    seen: list[TranslatorEvent] = []
    async for event in translator.events():
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(f"the events ended first: {seen}")


def finals(events: Sequence[TranslatorEvent], language: str | None = None) -> list[TargetFinal]:
    return [
        e
        for e in events
        if isinstance(e, TargetFinal) and (language is None or e.language == language)
    ]


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _seconds(stamp: str) -> float:
    h, m, rest = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(rest)


_TIMES = re.compile(r"^(\S+) --> (\S+)$")


def parse_srt(text: str) -> list[Cue]:
    """Parse SRT strictly: numbered cues from 1, ``HH:MM:SS,mmm`` times, a blank line after."""
    cues = []
    for number, block in enumerate(text.strip().split("\n\n"), start=1):
        lines = block.split("\n")
        assert lines[0] == str(number), block
        match = _TIMES.match(lines[1])
        assert match is not None, block
        assert "," in lines[1], block
        cues.append(Cue(_seconds(match[1]), _seconds(match[2]), "\n".join(lines[2:])))
    assert text.endswith("\n\n")
    return cues


def parse_vtt(text: str) -> list[Cue]:
    """Parse WebVTT: the header, then cues with ``HH:MM:SS.mmm`` times."""
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text[len("WEBVTT\n\n") :].strip().split("\n\n"):
        lines = block.split("\n")
        match = _TIMES.match(lines[0])
        assert match is not None, block
        assert "," not in lines[0], block
        cues.append(Cue(_seconds(match[1]), _seconds(match[2]), "\n".join(lines[1:])))
    return cues
