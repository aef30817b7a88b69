"""Benchmark of the event codec on a recorded-like 60 s assistant voice turn.

Run it as ``python benchmarks/bench_events.py`` (add ``--json`` for machine-readable output). In one
process it measures, on the same in-memory stream of server events:

* events/s for ``realtime_kit.events.decode_server_event``;
* events/s for the official ``openai`` package's own parse path
  (``AsyncRealtimeConnection.parse_event``, which is ``json.loads`` + ``construct_type_unchecked``);
* events/s for ``orjson.loads`` alone — a floor: it builds plain dicts and checks nothing;

and the cost of encoding one 20 ms ``input_audio_buffer.append`` from raw PCM16 bytes:

* ours: ``encode_event(InputAudioBufferAppendEvent.from_audio(pcm))``;
* the SDK's send path: ``await conn.input_audio_buffer.append(audio=base64(pcm))`` on a connection
  whose websocket ``send`` is a no-op coroutine (so only the SDK's own work is timed).

Machines differ and other processes may share the cores, so the figures that count are the
ratios between candidates measured in the same run. Inside each repeat the candidates take turns
on small blocks of frames (50 by default, in a rotating order) so that a burst of outside load
lands on all of them alike; every ratio is the median of the per-repeat ratios, and the table
shows their min–max spread too.

May import: realtime_kit, numpy, orjson, pydantic, openai, anyio and the standard library (a
dev-only script, not part of the package).
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio
import numpy as np
import orjson
import pydantic
from openai import __version__ as openai_version
from openai.resources.realtime.realtime import AsyncRealtimeConnection

from realtime_kit.events import (
    EventDecoder,
    InputAudioBufferAppendEvent,
    UnknownServerEvent,
    decode_client_event,
    decode_server_event,
    encode_event,
)

__all__ = [
    "APPEND_MS",
    "SAMPLE_RATE",
    "TARGETS",
    "BenchResult",
    "RecordedStream",
    "build_stream",
    "check_append",
    "check_stream",
    "main",
    "run_benchmark",
]

SAMPLE_RATE = 24_000
APPEND_MS = 20
TARGETS = {
    "decode_vs_sdk_min": 20.0,
    "decode_vs_orjson_max": 1.5,
    "append_vs_sdk_min": 10.0,
}

# The assistant's spoken answer; its transcript deltas are cut from this text.
_ANSWER = (
    "Sure, let's get the rain barrel ready before the storm. First, pick a spot right under a "
    "downspout, on ground that is level and firm, because a full barrel weighs more than two "
    "hundred kilograms. Put two or three concrete blocks down as a stand; the extra height gives "
    "you enough pressure to fill a watering can from the tap. Next, measure where the barrel's "
    "inlet sits and cut the downspout about five centimetres above it with a hacksaw. Fit the "
    "diverter kit onto the cut end and push its hose into the inlet hole. Check that the overflow "
    "outlet points away from the house foundation, and attach the second hose there so extra "
    "water runs into the garden bed instead of the basement. Screw the mesh screen onto the lid "
    "to keep leaves and mosquitoes out. Finally, open the tap once to make sure the washer seals, "
    "then close it. When the storm comes, the barrel should fill in about an hour of steady rain. "
    "Would you like tips on winterising it later in the year?"
)
_QUESTION = "Can you walk me through setting up the rain barrel before the weekend storm?"

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class RecordedStream:
    """Server frames of one voice turn, as the socket delivers them (UTF-8 JSON bytes)."""

    frames: list[bytes]
    types: list[str]
    audio_ms: int
    append_chunks: list[bytes]

    @property
    def kinds(self) -> Counter[str]:
        """How many frames of each wire type."""
        return Counter(self.types)

    @property
    def total_bytes(self) -> int:
        """Size of all frames together."""
        return sum(len(frame) for frame in self.frames)


def _speech_like(rng: np.random.Generator, samples: int) -> np.ndarray:
    """PCM16 shaped like voiced speech: wandering pitch, harmonics, syllable bursts, noise."""
    t = np.arange(samples) / SAMPLE_RATE
    pitch = (
        160.0 + 40.0 * np.sin(2 * np.pi * 0.7 * t) + rng.normal(0.0, 3.0, samples).cumsum() / 400
    )
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    sine, cosine = np.sin(phase), np.cos(phase)
    # The 2nd and 3rd harmonics from one sin/cos pair: sin 2x = 2 sin x cos x, sin 3x = 3s - 4s³.
    voiced = sine * (1.0 + cosine + 0.25 * (3.0 - 4.0 * sine * sine))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
    signal = 6000.0 * syllables * voiced + rng.normal(0.0, 300.0, samples)
    return np.clip(signal, -32768, 32767).astype("<i2")


def build_stream(*, seed: int = 20261123, seconds: float = 60.0) -> RecordedStream:
    """Build the server side of one voice turn, deterministically from ``seed``.

    The user's question (VAD start/stop, commit, user item, input transcription) is followed by an
    assistant response of ``seconds`` of audio in 20–100 ms deltas with interleaved transcript
    deltas, the ``…done`` events, ``response.done`` with usage and ``rate_limits.updated``.
    """
    rng = np.random.default_rng(seed)
    frames: list[tuple[str, dict[str, Any]]] = []

    alphabet = np.array(list(_ID_ALPHABET))

    def ident(prefix: str, size: int = 22) -> str:
        return prefix + "".join(alphabet[rng.integers(0, len(alphabet), size)])

    def emit(payload: dict[str, Any]) -> None:
        frames.append((payload["type"], payload))

    def server(kind: str, **fields: Any) -> None:
        emit({"type": kind, "event_id": ident("event_"), **fields})

    user_item = ident("item_")
    previous = ident("item_")
    assistant_item = ident("item_")
    response_id = ident("resp_")
    conversation = ident("conv_")

    server("input_audio_buffer.speech_started", audio_start_ms=31_220, item_id=user_item)
    server("input_audio_buffer.speech_stopped", audio_end_ms=35_860, item_id=user_item)
    server("input_audio_buffer.committed", previous_item_id=previous, item_id=user_item)
    user_message = {
        "id": user_item,
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": None}],
    }
    server("conversation.item.added", previous_item_id=previous, item=user_message)
    server("conversation.item.done", previous_item_id=previous, item=user_message)

    response_shell = {
        "object": "realtime.response",
        "id": response_id,
        "status": "in_progress",
        "status_details": None,
        "output": [],
        "conversation_id": conversation,
        "output_modalities": ["audio"],
        "max_output_tokens": "inf",
        "audio": {
            "output": {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE}, "voice": "marin"}
        },
        "usage": None,
        "metadata": None,
    }
    server("response.created", response=response_shell)
    assistant_shell = {
        "id": assistant_item,
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    at = {"response_id": response_id, "output_index": 0}
    server("response.output_item.added", **at, item=assistant_shell)
    server("conversation.item.added", previous_item_id=user_item, item=assistant_shell)
    part_at = {"response_id": response_id, "item_id": assistant_item, "output_index": 0}
    server(
        "response.content_part.added",
        **part_at,
        content_index=0,
        part={"type": "audio", "transcript": ""},
    )

    # The assistant's audio, cut into deltas of 20–100 ms as the server does.
    total = round(seconds * SAMPLE_RATE)
    pcm = _speech_like(rng, total)
    cuts: list[int] = []
    position = 0
    while position < total:
        step = int(rng.integers(20, 101)) * SAMPLE_RATE // 1000
        cuts.append(min(step, total - position))
        position += step
    audio_frames: list[dict[str, Any]] = []
    start = 0
    for size in cuts:
        chunk = pcm[start : start + size].tobytes()
        start += size
        audio_frames.append(
            {
                "type": "response.output_audio.delta",
                "event_id": ident("event_"),
                **part_at,
                "content_index": 0,
                "delta": base64.b64encode(chunk).decode("ascii"),
            }
        )

    # Transcript pieces: a word (with its leading space) or a punctuation mark, as tokens arrive.
    pieces: list[str] = []
    for word in _ANSWER.split(" "):
        core = word.rstrip(",.?;")
        pieces.append((" " if pieces else "") + core)
        if core != word:
            pieces.append(word[len(core) :])
    transcript_frames = [
        {
            "type": "response.output_audio_transcript.delta",
            "event_id": ident("event_"),
            **part_at,
            "content_index": 0,
            "delta": piece,
            # The server pads each delta with random characters so sizes do not leak tokens.
            "obfuscation": ident("", int(rng.integers(2, 16))),
        }
        for piece in pieces
    ]

    # The user's transcription finishes while the answer streams in.
    question_words = _QUESTION.split(" ")
    input_frames = [
        {
            "type": "conversation.item.input_audio_transcription.delta",
            "event_id": ident("event_"),
            "item_id": user_item,
            "content_index": 0,
            "delta": (" " if index else "") + word,
        }
        for index, word in enumerate(question_words)
    ]
    input_frames.append(
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "event_id": ident("event_"),
            "item_id": user_item,
            "content_index": 0,
            "transcript": _QUESTION,
            "usage": {
                "type": "tokens",
                "input_tokens": 58,
                "output_tokens": 17,
                "total_tokens": 75,
                "input_token_details": {"text_tokens": 0, "audio_tokens": 58},
            },
        }
    )

    # Transcript runs slightly ahead of the audio; the input transcription lands early on.
    text_every = max(1, len(audio_frames) // (len(transcript_frames) + 1))
    text_queue = list(transcript_frames)
    input_queue = list(input_frames)
    for index, audio in enumerate(audio_frames):
        if index % 9 == 3 and input_queue:
            emit(input_queue.pop(0))
        if index % text_every == 0 and text_queue:
            emit(text_queue.pop(0))
        emit(audio)
    for leftover in input_queue + text_queue:
        emit(leftover)

    server("response.output_audio.done", **part_at, content_index=0)
    server("response.output_audio_transcript.done", **part_at, content_index=0, transcript=_ANSWER)
    server(
        "response.content_part.done",
        **part_at,
        content_index=0,
        part={"type": "audio", "transcript": _ANSWER},
    )
    finished_item = {
        **assistant_shell,
        "status": "completed",
        "content": [{"type": "output_audio", "transcript": _ANSWER}],
    }
    server("response.output_item.done", **at, item=finished_item)
    server("conversation.item.done", previous_item_id=user_item, item=finished_item)
    audio_tokens = round(seconds * 20)
    server(
        "response.done",
        response={
            **response_shell,
            "status": "completed",
            "output": [finished_item],
            "usage": {
                "total_tokens": 2_913 + audio_tokens + 212,
                "input_tokens": 2_913,
                "output_tokens": audio_tokens + 212,
                "input_token_details": {
                    "text_tokens": 1_144,
                    "audio_tokens": 1_769,
                    "image_tokens": 0,
                    "cached_tokens": 2_496,
                    "cached_tokens_details": {
                        "text_tokens": 1_088,
                        "audio_tokens": 1_408,
                        "image_tokens": 0,
                    },
                },
                "output_token_details": {"text_tokens": 212, "audio_tokens": audio_tokens},
            },
        },
    )
    server(
        "rate_limits.updated",
        rate_limits=[
            {"name": "requests", "limit": 20_000, "remaining": 19_999, "reset_seconds": 0.003},
            {
                "name": "tokens",
                "limit": 15_000_000,
                "remaining": 14_995_912,
                "reset_seconds": 0.016,
            },
        ],
    )

    encoded = [json.dumps(payload, separators=(",", ":")).encode() for _, payload in frames]
    step = APPEND_MS * SAMPLE_RATE // 1000
    append_chunks = [pcm[i : i + step].tobytes() for i in range(0, 64 * step, step)]
    return RecordedStream(
        frames=encoded,
        types=[kind for kind, _ in frames],
        audio_ms=round(1000 * total / SAMPLE_RATE),
        append_chunks=append_chunks,
    )


class _NoopWebSocket:
    """Stands in for the SDK's websocket: keeps the last frame and does no I/O."""

    def __init__(self) -> None:
        self.last: str | bytes = b""

    async def send(self, data: str | bytes) -> None:
        self.last = data

    async def close(self, *, code: int = 1000, reason: str = "") -> None:
        self.last = b""


def _sdk_connection(socket: _NoopWebSocket | None = None) -> AsyncRealtimeConnection:
    return AsyncRealtimeConnection(socket or _NoopWebSocket())  # type: ignore[arg-type]


def _class_name(wire_type: str) -> str:
    words = wire_type.replace(".", "_").split("_")
    return "".join(word.capitalize() for word in words) + "Event"


def check_stream(stream: RecordedStream) -> None:
    """Assert that every frame decodes to its own typed class, with no drift, on all three paths.

    Raises ``AssertionError`` naming the first frame that does not.
    """
    strict = EventDecoder(strict=True)
    sdk = _sdk_connection()
    for index, (frame, wire_type) in enumerate(zip(stream.frames, stream.types, strict=True)):
        event = strict.decode_server(frame)
        name = type(event).__name__
        assert not isinstance(event, UnknownServerEvent), f"frame {index}: {wire_type} is unknown"
        assert name == _class_name(wire_type), f"frame {index}: {wire_type} decoded to {name}"
        assert event.type == wire_type
        assert decode_server_event(frame) == event
        assert sdk.parse_event(frame).type == wire_type, f"frame {index}: the SDK misread it"
        assert orjson.loads(frame)["type"] == wire_type


def check_append(pcm: bytes) -> bytes:
    """Assert that our append frame and the SDK's carry the same event; return ours."""
    socket = _NoopWebSocket()

    async def sdk_send() -> None:
        audio = base64.b64encode(pcm).decode("ascii")
        await _sdk_connection(socket).input_audio_buffer.append(audio=audio)

    anyio.run(sdk_send)
    ours = encode_event(InputAudioBufferAppendEvent.from_audio(pcm))
    theirs = decode_client_event(socket.last)
    assert decode_client_event(ours) == theirs, "the two append frames differ"
    assert isinstance(theirs, InputAudioBufferAppendEvent)
    assert theirs.audio_bytes() == pcm
    return ours


@dataclass
class BenchResult:
    """Medians over the repeats; each ratio is the median of the per-repeat ratios."""

    events: int
    stream_bytes: int
    audio_ms: int
    audio_deltas: int
    repeats: int
    decode_events_per_s: dict[str, float]
    append_us: dict[str, float]
    ratios: dict[str, float]
    ratio_ranges: dict[str, tuple[float, float]]
    targets_met: dict[str, bool]
    environment: dict[str, str] = field(default_factory=dict)


def _rotations(names: Sequence[str], index: int) -> list[str]:
    shift = index % len(names)
    return [*names[shift:], *names[:shift]]


def _time_decoders(
    decoders: dict[str, Callable[[bytes], object]],
    frames: Sequence[bytes],
    passes: int,
    block: int,
) -> dict[str, float]:
    """Events per second for each decoder over ``passes`` passes of ``frames``.

    The decoders take turns on each block of frames (in a rotating order), so a burst of load
    from another process lands on all of them alike instead of on whichever ran at that moment.
    """
    spent = dict.fromkeys(decoders, 0)
    names = list(decoders)
    blocks = [frames[i : i + block] for i in range(0, len(frames), block)]
    clock = time.perf_counter_ns
    for turn in range(passes * len(blocks)):
        chunk = blocks[turn % len(blocks)]
        for name in _rotations(names, turn):
            decode = decoders[name]
            started = clock()
            for frame in chunk:
                decode(frame)
            spent[name] += clock() - started
    count = passes * len(frames)
    return {name: count / (ns / 1e9) for name, ns in spent.items()}


async def _time_appends(chunks: Sequence[bytes], count: int, block: int) -> dict[str, float]:
    """Microseconds per 20 ms append encode: ours (bare and awaited) and the SDK's send path."""
    socket = _NoopWebSocket()
    conn = _sdk_connection(socket)
    n = len(chunks)

    async def sdk(first: int) -> None:
        for index in range(first, first + block):
            # What an SDK user writes: base64 the PCM with the standard library, then append.
            audio = base64.b64encode(chunks[index % n]).decode("ascii")
            await conn.input_audio_buffer.append(audio=audio)

    async def ours(first: int) -> None:
        for index in range(first, first + block):
            encode_event(InputAudioBufferAppendEvent.from_audio(chunks[index % n]))

    async def ours_awaited(first: int) -> None:
        for index in range(first, first + block):
            frame = encode_event(InputAudioBufferAppendEvent.from_audio(chunks[index % n]))
            await socket.send(frame)

    candidates = {"realtime_kit": ours, "realtime_kit_awaited": ours_awaited, "openai_sdk": sdk}
    spent = dict.fromkeys(candidates, 0)
    names = list(candidates)
    clock = time.perf_counter_ns
    turns = max(1, count // block)
    for turn in range(turns):
        for name in _rotations(names, turn):
            started = clock()
            await candidates[name](turn * block)
            spent[name] += clock() - started
    return {name: ns / (turns * block) / 1000 for name, ns in spent.items()}


def run_benchmark(
    stream: RecordedStream,
    *,
    repeats: int = 15,
    passes: int = 2,
    appends: int = 2_000,
    block: int = 50,
    warmup: bool = True,
) -> BenchResult:
    """Time every candidate ``repeats`` times and summarise."""
    sdk = _sdk_connection()
    decoders: dict[str, Callable[[bytes], object]] = {
        "realtime_kit": decode_server_event,
        "openai_sdk": sdk.parse_event,
        "orjson_loads": orjson.loads,
    }
    if warmup:
        _time_decoders(decoders, stream.frames, 1, block)
        anyio.run(_time_appends, stream.append_chunks, 4 * block, block)

    # Park everything alive now (modules, the stream) outside the collector's reach, so a full
    # collection over the import-time heap cannot land inside one candidate's timed block.
    gc.collect()
    gc.freeze()
    try:
        decode_runs = [
            _time_decoders(decoders, stream.frames, passes, block) for _ in range(repeats)
        ]
        append_runs = [
            anyio.run(_time_appends, stream.append_chunks, appends, block) for _ in range(repeats)
        ]
    finally:
        gc.unfreeze()

    per_repeat = {
        "decode_vs_sdk": [r["realtime_kit"] / r["openai_sdk"] for r in decode_runs],
        "decode_orjson_vs_ours": [r["orjson_loads"] / r["realtime_kit"] for r in decode_runs],
        "append_sdk_vs_ours": [r["openai_sdk"] / r["realtime_kit"] for r in append_runs],
        "append_sdk_vs_ours_awaited": [
            r["openai_sdk"] / r["realtime_kit_awaited"] for r in append_runs
        ],
    }
    ratios = {name: statistics.median(values) for name, values in per_repeat.items()}
    return BenchResult(
        events=len(stream.frames),
        stream_bytes=stream.total_bytes,
        audio_ms=stream.audio_ms,
        audio_deltas=stream.kinds["response.output_audio.delta"],
        repeats=repeats,
        decode_events_per_s={
            name: statistics.median(r[name] for r in decode_runs) for name in decoders
        },
        append_us={
            name: statistics.median(r[name] for r in append_runs) for name in append_runs[0]
        },
        ratios=ratios,
        ratio_ranges={name: (min(v), max(v)) for name, v in per_repeat.items()},
        targets_met={
            "decode_vs_sdk": ratios["decode_vs_sdk"] >= TARGETS["decode_vs_sdk_min"],
            "decode_vs_orjson": ratios["decode_orjson_vs_ours"] <= TARGETS["decode_vs_orjson_max"],
            "append_vs_sdk": min(ratios["append_sdk_vs_ours"], ratios["append_sdk_vs_ours_awaited"])
            >= TARGETS["append_vs_sdk_min"],
        },
        environment={
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "cpus": str(os.cpu_count()),
            "pydantic": pydantic.VERSION,
            "openai": openai_version,
            "orjson": orjson.__version__,
            "numpy": np.__version__,
        },
    )


def _table(result: BenchResult) -> str:
    verdict = {True: "met", False: "MISSED"}
    rates = result.decode_events_per_s
    us = result.append_us
    met = result.targets_met

    def ratio_row(label: str, key: str, target: str, ok: bool | None) -> str:
        low, high = result.ratio_ranges[key]
        status = "" if ok is None else verdict[ok]
        return (
            f"  {label:<40}{result.ratios[key]:>7.2f}x  [{low:.2f}–{high:.2f}]".ljust(68)
            + f"{target:<9}{status}"
        )

    lines = [
        f"stream: {result.events} server events, {result.stream_bytes / 1e6:.2f} MB, "
        f"{result.audio_deltas} audio deltas, {result.audio_ms / 1000:.1f} s of assistant audio; "
        f"medians of {result.repeats} repeats",
        "",
        f"{'decode one server event':<44}{'events/s':>12}{'µs/event':>10}",
        *(
            f"  {label:<42}{rates[key]:>12,.0f}{1e6 / rates[key]:>10.2f}"
            for label, key in (
                ("realtime_kit decode_server_event", "realtime_kit"),
                ("openai SDK parse_event", "openai_sdk"),
                ("orjson.loads (floor: dicts, no checks)", "orjson_loads"),
            )
        ),
        "",
        f"{'encode one 20 ms input_audio_buffer.append':<44}{'µs':>12}",
        *(
            f"  {label:<42}{us[key]:>12.2f}"
            for label, key in (
                ("realtime_kit encode_event(from_audio(pcm))", "realtime_kit"),
                ("  the same, then await a no-op send", "realtime_kit_awaited"),
                ("openai SDK b64encode + append()", "openai_sdk"),
            )
        ),
        "",
        f"{'ratios, same run':<42}{'median':>8}  [min–max]".ljust(68) + "target",
        ratio_row(
            "decode: ours vs SDK (events/s)", "decode_vs_sdk", ">= 20x", met["decode_vs_sdk"]
        ),
        ratio_row(
            "decode: ours vs orjson.loads (time)",
            "decode_orjson_vs_ours",
            "<= 1.5x",
            met["decode_vs_orjson"],
        ),
        ratio_row(
            "append: SDK vs ours (time)", "append_sdk_vs_ours", ">= 10x", met["append_vs_sdk"]
        ),
        ratio_row("append: SDK vs ours awaited (time)", "append_sdk_vs_ours_awaited", "", None),
        "",
        ", ".join(f"{k} {v}" for k, v in result.environment.items()),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats (default 15)")
    parser.add_argument("--passes", type=int, default=2, help="passes over the stream per repeat")
    parser.add_argument("--appends", type=int, default=2_000, help="append encodes per repeat")
    parser.add_argument("--block", type=int, default=50, help="frames or appends per turn")
    parser.add_argument("--seconds", type=float, default=60.0, help="assistant audio length")
    parser.add_argument("--seed", type=int, default=20261123, help="RNG seed for the stream")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    stream = build_stream(seed=args.seed, seconds=args.seconds)
    check_stream(stream)
    check_append(stream.append_chunks[0])
    result = run_benchmark(
        stream, repeats=args.repeats, passes=args.passes, appends=args.appends, block=args.block
    )
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
