"""CPU per second of input audio: the Translator vs the bare connection doing the same sends.

Run ``python benchmarks/bench_translator.py`` (``--seconds``, ``--targets``, ``--repeat``,
``--json``). A local translation server runs in a separate process, so the CPU measured here is
the client's alone. For 1 and 3 target languages, in the same run and against the same server:

* **bare**: one ``realtime_kit.connect(translation=True)`` connection per language; the app
  appends 200 ms frames (the engine's frame) of PCM16 24 kHz to each, reads every event, decodes
  the translated audio (as a player must), and closes with ``session.close``;
* **translator**: ``realtime_kit.Translator(to=[...])`` fed the same 200 ms frames, with its
  events and every language's audio stream read (the app's side of the same work);
* **translator, 20 ms chunks**: the same, fed a microphone's 20 ms chunks (it rechunks them;
  the bare connection would need the app to do that).

The server answers each 200 ms of input with 200 ms of translated audio and a transcript word,
stamped with ``elapsed_ms``, like the real service's continuous output. Audio is sent as fast as
the connections take it; the figure is client CPU (user + system) per second of input audio,
best of ``--repeat`` runs, and the ratio translator / bare measured in the same run.

May import: realtime_kit, websockets and the standard library (a dev-only script, not part of
the package).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import gc
import json
import multiprocessing
import time
from typing import Any

FRAME_MS = 200
FRAME = bytes(48 * FRAME_MS)
CHUNK_MS = 20
OUT = base64.b64encode(bytes(48 * FRAME_MS)).decode()


def _serve(port_queue: Any) -> None:
    """A translation server: each 200 ms of input is answered with 200 ms of output."""
    from websockets.asyncio.server import serve

    async def handler(ws: Any) -> None:
        number = id(ws)
        config = {
            "id": f"sess_{number}",
            "type": "translation",
            "model": "gpt-realtime-translate",
            "expires_at": 4_000_000_000,
            "audio": {"input": {"transcription": None, "noise_reduction": None},
                      "output": {"language": "es"}},
        }  # fmt: skip
        await ws.send(json.dumps({"type": "session.created", "session": config}))
        pending = 0
        elapsed = 0
        async for text in ws:
            event = json.loads(text)
            kind = event["type"]
            if kind == "session.update":
                config["audio"]["output"] = event["session"]["audio"]["output"]
                await ws.send(json.dumps({"type": "session.updated", "session": config}))
            elif kind == "session.input_audio_buffer.append":
                pending += len(event["audio"]) * 3 // 4
                while pending >= len(FRAME):
                    pending -= len(FRAME)
                    elapsed += FRAME_MS
                    await ws.send(
                        '{"type":"session.output_transcript.delta","delta":" palabra",'
                        f'"elapsed_ms":{elapsed}}}'
                    )
                    await ws.send(
                        '{"type":"session.output_audio.delta","sample_rate":24000,"channels":1,'
                        f'"format":"pcm16","elapsed_ms":{elapsed},"delta":"{OUT}"}}'
                    )
            elif kind == "session.close":
                await ws.send('{"type":"session.closed"}')
                await ws.close()
                return

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


class Server:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._queue = ctx.Queue()
        self._process = ctx.Process(target=_serve, args=(self._queue,), daemon=True)

    def __enter__(self) -> Server:
        self._process.start()
        self.port = int(self._queue.get(timeout=30))
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.join(5)


def _cpu() -> float:
    # The process's CPU clock (user + system, nanosecond resolution; getrusage counts in ticks).
    return time.process_time()


LANGUAGES = ("es", "fr", "de")


async def _bare(port: int, targets: int, seconds: float) -> tuple[float, int]:
    import realtime_kit
    from realtime_kit.events import SessionCloseEvent, SessionOutputAudioDeltaEvent

    base = f"http://127.0.0.1:{port}/v1"
    received = 0

    async def one(language: str, start: asyncio.Event) -> None:
        nonlocal received
        async with realtime_kit.connect(
            translation=True,
            api_key="sk-bench",
            base_url=base,
            session={"audio": {"output": {"language": language}}},
        ) as conn:

            async def read() -> None:
                nonlocal received
                async for event in conn:
                    if isinstance(event, SessionOutputAudioDeltaEvent):
                        event.audio_bytes()  # a player needs the PCM
                    received += 1

            reader = asyncio.ensure_future(read())
            await start.wait()
            for _ in range(int(seconds * 1000 / FRAME_MS)):
                await conn.send_audio(FRAME)
            await conn.send(SessionCloseEvent())
            await reader

    start = asyncio.Event()
    tasks = [asyncio.ensure_future(one(lang, start)) for lang in LANGUAGES[:targets]]
    await asyncio.sleep(0.5)  # every connection open before measuring
    gc.collect()
    cpu = _cpu()
    start.set()
    await asyncio.gather(*tasks)
    return _cpu() - cpu, received


async def _translator(
    port: int, targets: int, seconds: float, chunk_ms: int = FRAME_MS
) -> tuple[float, int]:
    import realtime_kit

    chunk = bytes(48 * chunk_ms)
    received = 0
    translator = realtime_kit.Translator(
        list(LANGUAGES[:targets]),
        api_key="sk-bench",
        base_url=f"http://127.0.0.1:{port}/v1",
        pad_stalls=False,
        rollover=False,
    )
    async with translator:
        gc.collect()
        cpu = _cpu()

        async def listen(language: str) -> None:
            nonlocal received
            async for _frame in translator.audio(language):
                received += 1

        async def events() -> None:
            nonlocal received
            async for _event in translator.events():
                received += 1

        readers = [asyncio.ensure_future(listen(lang)) for lang in translator.languages]
        readers.append(asyncio.ensure_future(events()))
        for _ in range(int(seconds * 1000 / chunk_ms)):
            await translator.send_audio(chunk)
        await translator.finish()
        await asyncio.gather(*readers)
        elapsed = _cpu() - cpu
    return elapsed, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="input audio per run")
    parser.add_argument("--targets", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (best kept)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, Any] = {"seconds_of_audio": args.seconds}
    with Server() as server:
        for targets in args.targets:
            best: dict[str, float] = {}
            events: dict[str, int] = {}
            contenders: list[tuple[str, Any]] = [
                ("bare", _bare),
                ("translator", _translator),
                ("translator_20ms", functools.partial(_translator, chunk_ms=CHUNK_MS)),
            ]
            for _ in range(args.repeat):
                # Alternate, so a loaded machine slows all alike.
                for name, run in contenders:
                    cpu, count = asyncio.run(run(server.port, targets, args.seconds))
                    best[name] = min(best.get(name, cpu), cpu)
                    events[name] = count
            per_second = {name: cpu / args.seconds for name, cpu in best.items()}
            figures[f"targets_{targets}"] = {
                "bare_ms_cpu_per_audio_s": round(per_second["bare"] * 1000, 3),
                "translator_ms_cpu_per_audio_s": round(per_second["translator"] * 1000, 3),
                "ratio": round(per_second["translator"] / per_second["bare"], 3),
                "translator_20ms_ms_cpu_per_audio_s": round(
                    per_second["translator_20ms"] * 1000, 3
                ),
                "ratio_20ms": round(per_second["translator_20ms"] / per_second["bare"], 3),
                "bare_events": events["bare"],
                "translator_items": events["translator"],
            }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"client CPU per second of input audio ({args.seconds:.0f} s, best of {args.repeat})")
    for targets in args.targets:
        row = figures[f"targets_{targets}"]
        print(
            f"  {targets} target(s): bare {row['bare_ms_cpu_per_audio_s']:.2f} ms/s, "
            f"translator {row['translator_ms_cpu_per_audio_s']:.2f} ms/s "
            f"(ratio {row['ratio']:.2f}x); fed 20 ms chunks "
            f"{row['translator_20ms_ms_cpu_per_audio_s']:.2f} ms/s ({row['ratio_20ms']:.2f}x)"
        )


if __name__ == "__main__":
    main()
