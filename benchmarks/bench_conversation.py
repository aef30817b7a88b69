"""What a Conversation adds on top of the connection: barge-in reaction, latency, CPU per frame.

Run ``python benchmarks/bench_conversation.py`` (``--sessions``, ``--seconds``, ``--json``):

1. **Barge-in reaction** (in process): ``input_audio_buffer.speech_started`` handed to the
   conversation engine while a 3-second reply plays → the sink flushed, the heard position read,
   the truncate built and encoded to the bytes the socket will get. p50/p99 over many trials, in
   CPU time of the thread (``time.thread_time``): what the code costs, without the time a loaded
   machine's scheduler takes the thread away (a wall-clock p99 on a shared CI box measures the
   box).
2. **Client-added latency per audio delta** (in process): ``response.output_audio.delta`` handed
   to the engine → its audio converted to the app's rate and handed to the sink, at 24 kHz
   (pass-through) and 16 kHz (resampled). p50/p99, thread CPU time as above.
3. **CPU per full-duplex 20 ms frame** over real loopback sockets against
   ``bench_connection``'s server process: the same traffic (a 20 ms append out every 20 ms, a
   50 ms delta in every 50 ms) through the bare connection and through a Conversation (which also
   decodes each delta, tracks playback and hands the audio to a sink), in the same run; the ratio
   is the figure that counts (target ≤ 1.3×).

May import: realtime_kit, the benchmarks' own ``bench_connection``, and the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_connection as bc
from realtime_kit.audio import PCMFrame, PlaybackClock, PlaybackPosition
from realtime_kit.conversation import ConversationLog, ResponseScheduler
from realtime_kit.conversation._engine import ConversationEngine, EngineSettings
from realtime_kit.events import decode_server_event
from realtime_kit.protocol import RealtimeProtocol


class NullSink:
    """Plays instantly: everything handed over counts as heard (no queue grows)."""

    def __init__(self, rate: int = 24_000) -> None:
        self.clock = PlaybackClock(rate, source="device")
        self.frames = 0

    async def play(self, frame: PCMFrame, item_id: str, *, content_index: int = 0) -> None:
        self.clock.received(item_id, frame, content_index=content_index)
        self.clock.advance(frame.num_samples)
        self.frames += 1

    def offer(self, frame: PCMFrame, item_id: str, content_index: int = 0) -> bool:
        self.clock.received(item_id, frame, content_index=content_index)
        self.clock.advance(frame.num_samples)
        self.frames += 1
        return True

    def end_item(self, item_id: str, *, content_index: int = 0) -> None:
        self.clock.end_item(item_id, content_index=content_index)

    def flush(self) -> list[PlaybackPosition]:
        return self.clock.flush()


def _ev(kind: str, **fields: Any) -> Any:
    return decode_server_event(json.dumps({"type": kind, **fields}))


def _pct(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] * 1e6, 1),
    }


def _engine(rate: int) -> tuple[ConversationEngine, PlaybackClock, RealtimeProtocol]:
    clock = PlaybackClock(rate, source="device")

    class Queue(NullSink):
        async def play(self, frame: PCMFrame, item_id: str, *, content_index: int = 0) -> None:
            clock.received(item_id, frame, content_index=content_index)

        def flush(self) -> list[PlaybackPosition]:
            return clock.flush()

    sink = Queue(rate)
    sink.clock = clock
    engine = ConversationEngine(
        EngineSettings(output_rate=rate),
        sink=sink,
        scheduler=ResponseScheduler(),
        log=ConversationLog(),
        now=time.monotonic,
    )
    core = RealtimeProtocol("realtime")
    session = {
        "type": "realtime",
        "id": "sess_b",
        "audio": {"input": {"turn_detection": {"type": "server_vad"}, "transcription": None}},
    }
    for event in (
        _ev("session.created", session=session),
        _ev("response.created", response={"id": "resp_b", "status": "in_progress"}),
    ):
        core.handle(event)
        engine.receive(event)
    return engine, clock, core


def barge_in_reaction(trials: int) -> dict[str, float]:
    """speech_started → flush + truncate encoded, with 3 s of a reply queued and 1.2 s played."""
    delta = base64.b64encode(bytes(48 * 100)).decode()
    times: list[float] = []
    for n in range(trials):
        engine, clock, core = _engine(24_000)
        item = f"item_{n}"
        added = _ev(
            "response.output_item.added",
            response_id="resp_b",
            output_index=0,
            item={"id": item, "type": "message", "role": "assistant", "content": []},
        )
        core.handle(added)
        engine.receive(added)
        for _ in range(30):
            audio = _ev(
                "response.output_audio.delta",
                response_id="resp_b",
                item_id=item,
                output_index=0,
                content_index=0,
                delta=delta,
            )
            core.handle(audio)
            engine.receive(audio)
        for op in engine.playout:
            assert op.frame is not None
            clock.received(op.item_id, op.frame, content_index=op.content_index)
        engine.playout.clear()
        clock.advance(24 * 1200)
        started = _ev("input_audio_buffer.speech_started", item_id=f"u{n}", audio_start_ms=0)
        t0 = time.thread_time()
        core.handle(started)
        engine.receive(started)
        wire = [core.send(event) for event in engine.outbox]
        times.append(time.thread_time() - t0)
        assert len(wire) == 1
        assert b"conversation.item.truncate" in wire[0]
    return _pct(times)


def delta_latency(deltas: int, rate: int) -> dict[str, float]:
    """response.output_audio.delta → audio at the app's rate handed to the sink."""
    engine, clock, _ = _engine(rate)
    engine.receive(
        _ev(
            "response.output_item.added",
            response_id="resp_b",
            output_index=0,
            item={"id": "item_l", "type": "message", "role": "assistant", "content": []},
        )
    )
    payload = base64.b64encode(bytes(48 * 50)).decode()
    times: list[float] = []
    for _ in range(deltas):
        event = _ev(
            "response.output_audio.delta",
            response_id="resp_b",
            item_id="item_l",
            output_index=0,
            content_index=0,
            delta=payload,
        )
        t0 = time.thread_time()
        engine.receive(event)
        while engine.playout:
            op = engine.playout.popleft()
            if op.frame is not None:
                clock.received(op.item_id, op.frame)
                clock.advance(op.frame.num_samples)
        times.append(time.thread_time() - t0)
    return _pct(times)


async def _conversation_session(port: int, seconds: float, counts: list[int], ready: Any) -> None:
    import realtime_kit
    from realtime_kit import Conversation

    sink = NullSink()
    async with realtime_kit.connect(
        "gpt-realtime", api_key="sk-bench", base_url=f"http://127.0.0.1:{port}/v1", reconnect=False
    ) as conn:
        conversation = Conversation(
            connection=conn, playback=sink, turn_detection=None, input_transcription=None
        )
        async with conversation as conv:
            await ready.wait()
            before = sink.frames
            deadline = time.monotonic() + seconds
            tick = time.monotonic()
            while tick < deadline:
                await conv.send_audio(bc.FRAME)
                counts[0] += 1
                tick += bc.APPEND_MS / 1000
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
            counts[1] += sink.frames - before


async def _duplex(sessions: int, seconds: float) -> dict[str, Any]:
    with bc.Server("paced", reply_updates=True) as server:
        bare = await bc._run_duplex(bc._ours_session, server.port, sessions, seconds)
        conv = await bc._run_duplex(_conversation_session, server.port, sessions, seconds)
    return {
        "connection": bare,
        "conversation": conv,
        "conversation_over_connection": round(conv["us_per_frame"] / bare["us_per_frame"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "barge_in_reaction": barge_in_reaction(args.trials),
        "delta_to_sink_24k": delta_latency(args.trials, 24_000),
        "delta_to_sink_16k": delta_latency(args.trials, 16_000),
    }
    result["duplex"] = asyncio.run(_duplex(args.sessions, args.seconds))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for name, value in result.items():
        print(name, json.dumps(value, indent=2))


if __name__ == "__main__":
    main()
