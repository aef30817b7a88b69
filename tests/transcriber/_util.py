"""Helpers for the transcriber tests: speech with known boundaries, events from JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from realtime_kit.events import ServerEvent, decode_server_event

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_WAV = ROOT / "examples" / "data" / "sample.wav"
SAMPLE_JSON = ROOT / "examples" / "data" / "sample.json"
RATE = 24_000
LEVEL = 32768 * 10 ** (-50 / 20)


def ev(type_: str, **fields: Any) -> ServerEvent:
    return decode_server_event(json.dumps({"type": type_, "event_id": "e", **fields}))


def sample_truth() -> list[dict[str, Any]]:
    sentences: list[dict[str, Any]] = json.loads(SAMPLE_JSON.read_text("utf-8"))["sentences"]
    return sentences


@dataclass
class Speech:
    """PCM16 24 kHz audio of sentences and where each one's speech really is (seconds)."""

    pcm: bytes
    spans: list[tuple[str, float, float]]


def build_speech(
    speak: Any, sentences: Sequence[str], *, lead_ms: int = 400, pause_ms: int = 800
) -> Speech:
    pieces = [np.zeros(RATE * lead_ms // 1000, dtype=np.int16)]
    pos = pieces[0].size
    spans = []
    for text in sentences:
        clip = np.frombuffer(speak(text), dtype="<i2")
        loud = np.flatnonzero(np.abs(clip.astype(np.int32)) > LEVEL)
        # Keep the clip whole (the recognizer fingerprints it); the truth is its loud part.
        spans.append((text, (pos + loud[0]) / RATE, (pos + loud[-1] + 1) / RATE))
        pieces.append(clip)
        pos += clip.size
        pieces.append(np.zeros(RATE * pause_ms // 1000, dtype=np.int16))
        pos += pieces[-1].size
    return Speech(np.concatenate(pieces).astype("<i2").tobytes(), spans)


async def chunks(data: bytes, size: int = 960) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]
