"""A hostile client for the fake server: mutated client events and raw garbage, each followed by a
probe, with the invariant "every client frame gets the real protocol's answer and the session
survives".

Frames are built from valid client events of every kind (PROTOCOL.md §3.1) by seeded mutations:
a field replaced by a value of another JSON type (deep lists, huge numbers, long strings, null),
a field deleted, an unknown field added, ``type`` and ``event_id`` of the wrong type or value,
the JSON cut short or a byte changed; plus garbage (not JSON, not an object, 100,000 open
brackets, nesting past any parser's depth, a 20 MB append over the 15 MiB limit).

After each frame the client sends a probe (``conversation.item.retrieve`` of an item that does not
exist, with its own ``event_id``) and reads up to the probe's ``error``. Checked on the way:

* every server frame validates in the official ``openai`` package's own types;
* no ``error`` is a ``server_error`` (the fake answering its own failure);
* a frame that is certainly invalid gets an ``error`` before the probe's answer, echoing its
  ``event_id`` when that was a string (and ``null`` otherwise);
* the session answers the probe: a session that stops answering, or closes, is a death.

It runs on any event loop (the project's WebSocket transport works on asyncio and trio), so the
test can drive it under plain ``asyncio.run``, ``uvloop.run`` and ``trio.run`` in a subprocess::

    python -m tests.testing.hostile --runner asyncio --runner uvloop --runner trio --frames 300
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pydantic

from realtime_kit.errors import ConnectionClosedError
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ToneSynthesizer
from realtime_kit.transports.websocket import WebSocketTransport

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (where ``python -m tests.testing.hostile`` runs)."""


def official_adapter() -> pydantic.TypeAdapter[Any]:
    """The official ``openai`` package's server-event union (imported on demand: it is slow)."""
    from openai.types.realtime import RealtimeServerEvent

    return pydantic.TypeAdapter[Any](RealtimeServerEvent)


# A hang guard, not a timing assertion: a live session answers a probe in milliseconds.
_PROBE_WAIT_S = 60.0
_FRAMES_PER_SESSION = 100


def _audio(ms: int) -> str:
    # A quiet ramp: not silence (the VAD sees something), not a tone.
    pcm = bytes((i * 7) & 0x3F for i in range(48 * ms))
    return base64.b64encode(pcm).decode("ascii")


def seed_events() -> list[dict[str, Any]]:
    """Valid client events of every realtime kind (the material mutations start from)."""
    user_text = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    return [
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "instructions": "Be brief.",
                "output_modalities": ["audio"],
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "transcription": {"model": "gpt-4o-mini-transcribe", "language": "en"},
                        "noise_reduction": {"type": "near_field"},
                        "turn_detection": {
                            "type": "server_vad",
                            "threshold": 0.5,
                            "silence_duration_ms": 200,
                            "create_response": True,
                        },
                    },
                    "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
                },
                "tools": [
                    {
                        "type": "function",
                        "name": "lookup",
                        "description": "Look a thing up.",
                        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                    }
                ],
                "tool_choice": "auto",
                "max_output_tokens": 400,
                "truncation": {"type": "retention_ratio", "retention_ratio": 0.8},
            },
        },
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
        },
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {
                    "input": {"turn_detection": {"type": "semantic_vad", "eagerness": "high"}}
                },
            },
        },
        {"type": "input_audio_buffer.append", "audio": _audio(120)},
        {"type": "input_audio_buffer.commit"},
        {"type": "input_audio_buffer.clear"},
        {"type": "conversation.item.create", "item": user_text},
        {"type": "conversation.item.create", "previous_item_id": "root", "item": user_text},
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_audio", "audio": _audio(150)}],
            },
        },
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "system",
                "content": [{"type": "input_text", "text": "Speak slowly."}],
            },
        },
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": "call_1", "output": '{"ok":1}'},
        },
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call", "call_id": "c2", "name": "lookup", "arguments": "{}"},
        },
        {"type": "conversation.item.retrieve", "item_id": "item_nope"},
        {"type": "conversation.item.delete", "item_id": "item_nope"},
        {
            "type": "conversation.item.truncate",
            "item_id": "item_nope",
            "content_index": 0,
            "audio_end_ms": 100,
        },
        {"type": "response.create"},
        {
            "type": "response.create",
            "response": {
                "conversation": "none",
                "output_modalities": ["text"],
                "metadata": {"topic": "probe"},
                "instructions": "Summarise.",
                "input": [user_text],
            },
        },
        {"type": "response.cancel"},
        {"type": "response.cancel", "response_id": "resp_nope"},
        {"type": "output_audio_buffer.clear"},
    ]


# Top-level fields each event requires, with a value of the wrong JSON type for each (PROTOCOL.md
# §3.1): deleting one, or giving it that value, must be answered with an error.
_REQUIRED: dict[str, dict[str, Any]] = {
    "session.update": {"session": 5},
    "input_audio_buffer.append": {"audio": 12},
    "conversation.item.create": {"item": "text"},
    "conversation.item.retrieve": {"item_id": 3},
    "conversation.item.delete": {"item_id": [1]},
    "conversation.item.truncate": {"item_id": 1, "content_index": "0", "audio_end_ms": "10"},
}

_WRONG_VALUES: list[Callable[[random.Random], Any]] = [
    lambda r: None,
    lambda r: True,
    lambda r: r.choice([0, -1, 1, 2**63, -(2**70), 10**30]),
    lambda r: r.choice([1.5, -0.0, 1e308, -1e-308]),
    lambda r: "",
    lambda r: r.choice(["x", "auto", "none", "💥", "\u0000", "item_" + "a" * 21]),
    lambda r: "y" * r.choice([1_000, 100_000]),
    lambda r: [],
    lambda r: {},
    lambda r: [1, "two", None, {}],
    lambda r: {"type": r.choice(["x", "message", "function", "audio/pcm"])},
    lambda r: _deep(r.randint(20, 400)),
    lambda r: list(range(r.choice([100, 5_000]))),
]


def _deep(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def _slots(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``value`` (dict keys and list indexes), outermost first."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*path, key)
            yield from _slots(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield (*path, index)
            yield from _slots(sub, (*path, index))


def _parent(event: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        event = event[step]
    return event


@dataclass
class Frame:
    """One hostile frame: its text, whether it must be refused, and the event_id to echo."""

    text: str
    must_fail: bool
    event_id: str | None
    kind: str


class Mutator:
    """Seeded hostile frames: a mix of mutated valid events and raw garbage."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seeds = seed_events()
        self.n = 0

    def frame(self) -> Frame:
        self.n += 1
        roll = self.rng.random()
        if roll < 0.12:
            return self._garbage()
        event = copy.deepcopy(self.rng.choice(self.seeds))
        eid = f"evt_{self.n}"
        event["event_id"] = eid
        if roll < 0.22:
            return self._bad_envelope(event)
        if roll < 0.32 and event["type"] in _REQUIRED:
            required = _REQUIRED[event["type"]]
            key = self.rng.choice(sorted(required))
            if self.rng.random() < 0.5:
                del event[key]
                return Frame(json.dumps(event), True, eid, f"drop {event['type']}.{key}")
            event[key] = required[key]
            return Frame(json.dumps(event), True, eid, f"wrong-type {event['type']}.{key}")
        for _ in range(self.rng.randint(1, 3)):
            self._mutate(event)
        text = json.dumps(event)
        if self.rng.random() < 0.05:
            cut = self.rng.randrange(1, len(text))
            return Frame(text[:cut], True, None, "truncated JSON")
        return Frame(text, False, eid, f"mutated {event['type']}")

    def _mutate(self, event: dict[str, Any]) -> None:
        slots = [p for p in _slots(event) if p not in (("type",), ("event_id",))]
        if not slots:
            event["unexpected"] = self.rng.choice(_WRONG_VALUES)(self.rng)
            return
        path = self.rng.choice(slots)
        parent = _parent(event, path)
        op = self.rng.random()
        if op < 0.6:
            parent[path[-1]] = self.rng.choice(_WRONG_VALUES)(self.rng)
        elif op < 0.8 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent["zz_" + str(self.rng.randrange(100))] = self.rng.choice(_WRONG_VALUES)(self.rng)
        else:
            parent.append(self.rng.choice(_WRONG_VALUES)(self.rng))

    def _bad_envelope(self, event: dict[str, Any]) -> Frame:
        choice = self.rng.randrange(5)
        if choice == 0:
            event["event_id"] = self.rng.choice([5, [], {"a": 1}, True, 1.5, -0.0])
            return Frame(json.dumps(event), True, None, "event_id of a wrong type")
        eid = event["event_id"]
        if choice == 1:
            event["type"] = self.rng.choice([[], {}, 7, None, True])
            kind = "type of a wrong type"
        elif choice == 2:
            event["type"] = self.rng.choice(
                ["session.updated", "response.creat", "", "session.close", "x" * 300]
            )
            kind = "unknown type"
        elif choice == 3:
            del event["type"]
            kind = "no type"
        else:
            event["type"] = "session.input_audio_buffer.append"
            kind = "translation event on a realtime socket"
        return Frame(json.dumps(event), True, eid, kind)

    def _garbage(self) -> Frame:
        choice = self.rng.randrange(9)
        if choice == 0:
            text = "[" * 100_000
        elif choice == 1:
            text = '{"type":"session.update","session":' + '{"a":' * 50_000
        elif choice == 2:
            text = self.rng.choice(["", " ", "null", "1", '"x"', "[]", "[1,2]", "true", "{}"])
            if text == "{}":
                return Frame(text, True, None, "empty object")
        elif choice == 3:
            text = "".join(chr(self.rng.randrange(32, 0x2FFF)) for _ in range(200))
        elif choice == 4:
            text = json.dumps({"type": "input_audio_buffer.append", "audio": "not base64!"})
        elif choice == 5:
            text = '{"type": "response.create", "event_id": "\\ud800"}'
        elif choice == 6:
            text = json.dumps({"type": "conversation.item.create", "item": _deep(150)})
        elif choice == 7:
            text = '{"type":"input_audio_buffer.clear",' * 3
        else:
            text = json.dumps([{"type": "input_audio_buffer.clear"}])
        return Frame(text, True, None, "garbage")


@dataclass
class Report:
    """What a hostile run saw."""

    inputs: int = 0
    sessions: int = 0
    deaths: int = 0
    answered_with_error: int = 0
    server_frames: int = 0
    violations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "sessions": self.sessions,
            "deaths": self.deaths,
            "answered_with_error": self.answered_with_error,
            "server_frames": self.server_frames,
            "violations": self.violations[:20],
            "violation_count": len(self.violations),
        }


async def _open(url: str) -> WebSocketTransport:
    transport = await WebSocketTransport.connect(
        url, headers={"Authorization": "Bearer sk-hostile"}, ping_interval=None
    )
    first = json.loads(await transport.receive_text())
    assert first["type"] == "session.created", first
    return transport


async def _answer(
    transport: WebSocketTransport,
    frame: Frame,
    probe_id: str,
    report: Report,
    official: pydantic.TypeAdapter[Any] | None,
) -> None:
    """Read up to the probe's answer, checking every frame on the way."""
    refused = False
    with anyio.fail_after(_PROBE_WAIT_S):
        while True:
            text = await transport.receive_text()
            report.server_frames += 1
            if official is not None:
                try:
                    official.validate_json(text)
                except pydantic.ValidationError as exc:
                    report.violations.append(f"{frame.kind}: invalid frame {text[:200]}: {exc}")
            event = json.loads(text)
            if event["type"] != "error":
                continue
            error = event["error"]
            if error.get("type") == "server_error":
                report.violations.append(f"{frame.kind}: server_error {error}")
            if error.get("event_id") == probe_id:
                if frame.must_fail and not refused:
                    report.violations.append(f"{frame.kind}: not refused: {frame.text[:200]!r}")
                return
            if error.get("event_id") == frame.event_id:
                refused = True
                report.answered_with_error += 1


async def attack(url: str, frames: int, seed: int, *, validate: bool = True) -> Report:
    """Send ``frames`` hostile frames (a new session every hundred, or after a death).

    ``validate`` checks every server frame against the official ``openai`` types.
    """
    official = official_adapter() if validate else None
    mutator = Mutator(seed)
    report = Report()
    transport: WebSocketTransport | None = None
    sent_in_session = 0
    try:
        for n in range(frames):
            if transport is None or sent_in_session >= _FRAMES_PER_SESSION:
                if transport is not None:
                    await transport.aclose()
                transport = await _open(url)
                report.sessions += 1
                sent_in_session = 0
            frame = mutator.frame()
            probe_id = f"probe_{n}"
            probe = {
                "type": "conversation.item.retrieve",
                "item_id": "item_probe",
                "event_id": probe_id,
            }
            report.inputs += 1
            sent_in_session += 1
            try:
                await transport.send_text(frame.text)
                await transport.send_text(json.dumps(probe))
                await _answer(transport, frame, probe_id, report, official)
            except (ConnectionClosedError, TimeoutError) as exc:
                report.deaths += 1
                report.violations.append(
                    f"{frame.kind}: session died ({exc!r}) after {frame.text[:200]!r}"
                )
                await transport.aclose()
                transport = None
    finally:
        if transport is not None:
            await transport.aclose()
    return report


def huge_append() -> str:
    """A 20 MB frame: an append of 15.5 MiB of audio, over the 15 MiB limit."""
    audio = base64.b64encode(bytes(int(15.5 * 1024 * 1024))).decode("ascii")
    return json.dumps({"type": "input_audio_buffer.append", "audio": audio, "event_id": "evt_big"})


def run(runner: str, frames: int, seed: int, *, validate: bool) -> dict[str, Any]:
    """Start a server (its own thread), attack it from ``runner``'s event loop, report."""
    with FakeRealtimeServer(clock=FakeClock(), seed=seed, synthesizer=ToneSynthesizer()) as server:
        url = server.ws_base_url + "/realtime?model=gpt-realtime-2"

        async def main() -> Report:
            return await attack(url, frames, seed, validate=validate)

        if runner == "asyncio":
            import asyncio

            report = asyncio.run(main())
        elif runner == "uvloop":
            import uvloop

            report = uvloop.run(main())
        else:
            import trio

            report = trio.run(main)
        server_side = {
            "internal_errors": server.internal_errors.count,
            "close_codes": sorted({h.close_code for h in server.connections if h.ended.wait(10)}),
        }
    return {"runner": runner, **report.as_dict(), **server_side}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runner", action="append", choices=["asyncio", "uvloop", "trio"])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-validate", action="store_true", help="skip the official-types check (faster)"
    )
    args = parser.parse_args(argv)
    for runner in args.runner or ["asyncio"]:
        result = run(runner, args.frames, args.seed, validate=not args.no_validate)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
