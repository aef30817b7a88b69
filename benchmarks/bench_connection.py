"""Full-duplex sessions per core and idle memory per connection: realtime_kit vs the official SDK.

Run ``python benchmarks/bench_connection.py`` (``--sessions``, ``--seconds``, ``--idle``,
``--json``). A local WebSocket server runs in a separate process, so the CPU measured here is
the client's alone. Every session, for both clients, in the same run and against the same server:

* sends a 20 ms ``input_audio_buffer.append`` (960 bytes of PCM16, base64) every 20 ms;
* receives a ``response.output_audio.delta`` (50 ms of audio) every 50 ms, parsed into a typed
  event (ours: ``async for event in conn``; SDK: ``async for event in conn``);

over real loopback sockets. A third contender, the *floor*, does only what any Python client
must: websockets' framing on a bare ``asyncio.Protocol`` and ``orjson`` (no types, no state, no
checks), so ``share_of_floor`` says how close realtime_kit comes to the cheapest possible
client. A receive-only burst of 10,000 deltas then prices the read path alone (CPU per typed
event). "Sessions per core" is how many such sessions (70 frames a second each) one core could
carry at the client CPU measured per frame. Idle memory is the growth of Python's traced heap
(and of the resident set) per open, idle connection, each client in a fresh interpreter.
``--loop uvloop`` runs every contender on uvloop.

Machines differ, so the figure that counts is the ratio between the two clients measured in the
same run. May import: realtime_kit, openai, websockets, orjson, uvloop and the standard library
(a dev-only script, not part of the package).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import multiprocessing
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

APPEND_MS = 20
DELTA_MS = 50
FRAME = bytes(48 * APPEND_MS)
DELTA = base64.b64encode(bytes(48 * DELTA_MS)).decode()
FRAMES_PER_SESSION_SECOND = 1000 / APPEND_MS + 1000 / DELTA_MS
FLOOD = 10_000


def _session_created(n: int) -> str:
    return json.dumps(
        {
            "type": "session.created",
            "event_id": f"event_c{n}",
            "session": {
                "type": "realtime",
                "id": f"sess_{n}",
                "object": "realtime.session",
                "expires_at": 4_000_000_000,
                "model": "gpt-realtime",
                "output_modalities": ["audio"],
                "audio": {
                    "input": {"format": {"type": "audio/pcm", "rate": 24000}},
                    "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"},
                },
            },
        }
    )


def _serve(port_queue: Any, mode: str, flood: int, reply_updates: bool = False) -> None:
    """The server process: session.created, a response that never ends, then output deltas:
    every 50 ms (``paced``), none (``idle``), or ``flood`` back to back once the client first
    speaks (``flood``). With ``reply_updates`` a ``session.update`` is answered with
    ``session.updated`` (for clients that wait for it, as a Conversation does)."""
    from websockets.asyncio.server import serve

    async def handler(ws: Any) -> None:
        number = id(ws)
        await ws.send(_session_created(number))
        created = {
            "type": "response.created",
            "event_id": "event_r",
            "response": {
                "id": f"resp_{number}",
                "object": "realtime.response",
                "status": "in_progress",
            },
        }
        await ws.send(json.dumps(created))

        spoke = asyncio.Event()

        async def drain() -> None:
            async for message in ws:
                spoke.set()
                if reply_updates and '"session.update"' in message[:64]:
                    update = json.loads(message)
                    await ws.send(
                        json.dumps(
                            {
                                "type": "session.updated",
                                "event_id": "event_u",
                                "session": {**update["session"], "id": f"sess_{number}"},
                            }
                        )
                    )

        def delta(n: int) -> str:
            return json.dumps(
                {
                    "type": "response.output_audio.delta",
                    "event_id": f"event_{n}",
                    "response_id": f"resp_{number}",
                    "item_id": f"item_{number}",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": DELTA,
                }
            )

        async def stream() -> None:
            n = 0
            while mode == "paced":
                n += 1
                await ws.send(delta(n))
                await asyncio.sleep(DELTA_MS / 1000)
            if mode == "flood":
                await spoke.wait()
                for n in range(flood):
                    await ws.send(delta(n))
            await asyncio.Future()

        tasks = [asyncio.ensure_future(drain()), asyncio.ensure_future(stream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


class Server:
    def __init__(
        self, mode: str = "paced", flood: int = FLOOD, *, reply_updates: bool = False
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._queue = ctx.Queue()
        self._process = ctx.Process(
            target=_serve, args=(self._queue, mode, flood, reply_updates), daemon=True
        )

    def __enter__(self) -> Server:
        self._process.start()
        self.port = int(self._queue.get(timeout=30))
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.join(5)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _kernel_cpu() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


async def _ours_session(port: int, seconds: float, counts: list[int], ready: Any) -> None:
    import realtime_kit

    async with realtime_kit.connect(
        "gpt-realtime", api_key="sk-bench", base_url=f"http://127.0.0.1:{port}/v1", reconnect=False
    ) as conn:
        await ready.wait()

        async def read() -> None:
            async for _event in conn:
                counts[1] += 1

        # The same driver as the SDK's below (asyncio task and sleep), so only the clients differ.
        reader = asyncio.ensure_future(read())
        deadline = time.monotonic() + seconds
        tick = time.monotonic()
        while tick < deadline:
            await conn.send_audio(FRAME)
            counts[0] += 1
            tick += APPEND_MS / 1000
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
        reader.cancel()


async def _sdk_session(port: int, seconds: float, counts: list[int], ready: Any) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(
        api_key="sk-bench",
        base_url=f"http://127.0.0.1:{port}/v1",
        websocket_base_url=f"ws://127.0.0.1:{port}/v1",
    )
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await ready.wait()

        async def read() -> None:
            async for _event in conn:
                counts[1] += 1

        reader = asyncio.ensure_future(read())
        deadline = time.monotonic() + seconds
        tick = time.monotonic()
        while tick < deadline:
            await conn.input_audio_buffer.append(audio=base64.b64encode(FRAME).decode())
            counts[0] += 1
            tick += APPEND_MS / 1000
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
        reader.cancel()
    await client.close()


class _FloorProtocol(asyncio.Protocol):
    """The floor: websockets' sans-I/O framing on a bare asyncio.Protocol, orjson, no types.

    What any Python client must at least do per frame; no state, no checks, no reconnect.
    """

    def __init__(self, url: str) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.ws = ClientProtocol(parse_uri(url), max_size=None)
        self.inbox: list[Any] = []
        self.waiter: asyncio.Future[None] | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        for chunk in self.ws.data_to_send():
            transport.write(chunk)

    def data_received(self, data: bytes) -> None:
        import orjson
        from websockets.frames import Frame, Opcode

        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.inbox.append(orjson.loads(event.data))
            elif not self.opened.done():
                self.opened.set_result(None)
        if self.inbox and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)
        for chunk in self.ws.data_to_send():
            self.transport.write(chunk)

    def send(self, payload: bytes) -> None:
        self.ws.send_text(payload)
        self.transport.write(b"".join(self.ws.data_to_send()))

    async def receive(self) -> Any:
        while not self.inbox:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return self.inbox.pop(0)


async def _floor_session(port: int, seconds: float, counts: list[int], ready: Any) -> None:
    import orjson

    loop = asyncio.get_running_loop()
    url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
    transport, floor = await loop.create_connection(lambda: _FloorProtocol(url), "127.0.0.1", port)
    await floor.opened
    await ready.wait()

    async def read() -> None:
        while True:
            await floor.receive()
            counts[1] += 1

    reader = asyncio.ensure_future(read())
    deadline = time.monotonic() + seconds
    tick = time.monotonic()
    while tick < deadline:
        audio = base64.b64encode(FRAME).decode()
        floor.send(orjson.dumps({"type": "input_audio_buffer.append", "audio": audio}))
        counts[0] += 1
        tick += APPEND_MS / 1000
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
    reader.cancel()
    transport.close()


async def _ours_flood(port: int, flood: int) -> float:
    import realtime_kit
    from realtime_kit.events import InputAudioBufferClearEvent

    async with realtime_kit.connect(
        "gpt-realtime", api_key="sk-bench", base_url=f"http://127.0.0.1:{port}/v1", reconnect=False
    ) as conn:
        await conn.__anext__()
        await conn.__anext__()
        start = _cpu()
        await conn.send(InputAudioBufferClearEvent())
        count = 0
        async for _event in conn:
            count += 1
            if count == flood:
                break
        return _cpu() - start


async def _sdk_flood(port: int, flood: int) -> float:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(
        api_key="sk-bench",
        base_url=f"http://127.0.0.1:{port}/v1",
        websocket_base_url=f"ws://127.0.0.1:{port}/v1",
    )
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.recv()
        start = _cpu()
        await conn.input_audio_buffer.clear()
        count = 0
        async for _event in conn:
            count += 1
            if count == flood:
                break
        elapsed = _cpu() - start
    await client.close()
    return elapsed


async def _run_duplex(
    session: Callable[[int, float, list[int], Any], Awaitable[None]],
    port: int,
    sessions: int,
    seconds: float,
) -> dict[str, float]:
    counts = [0, 0]
    ready = asyncio.Event()
    tasks = [asyncio.ensure_future(session(port, seconds, counts, ready)) for _ in range(sessions)]
    await asyncio.sleep(1.0 + sessions * 0.004)  # let every session open before measuring
    gc.collect()
    start_cpu, start_kernel, start = _cpu(), _kernel_cpu(), time.monotonic()
    ready.set()
    await asyncio.gather(*tasks)
    cpu, wall = _cpu() - start_cpu, time.monotonic() - start
    kernel = _kernel_cpu() - start_kernel
    expected = sessions * seconds * 1000 / APPEND_MS
    per_frame = cpu / max(counts[0] + counts[1], 1)
    return {
        "sessions": sessions,
        "seconds": round(wall, 2),
        "client_cpu_s": round(cpu, 3),
        "appends_sent": counts[0],
        "append_rate_achieved": round(counts[0] / expected, 3),
        "events_received": counts[1],
        "us_per_frame": round(per_frame * 1e6, 1),
        # Of which in the kernel (loopback send and receive, epoll): the same for any client.
        "kernel_us_per_frame": round(kernel / max(counts[0] + counts[1], 1) * 1e6, 1),
        # Frames one session moves per second (appends out, deltas in), priced at the measured
        # CPU per frame: robust to a loaded machine stretching the wall-clock run.
        "sessions_per_core": round(1 / (per_frame * FRAMES_PER_SESSION_SECOND), 1),
    }


async def _idle(kind: str, port: int, count: int, traced: bool) -> dict[str, float]:
    """Memory growth per idle connection: the traced Python heap, or (``traced=False``, so
    tracemalloc's own bookkeeping is not counted) the resident set."""
    import contextlib

    # Warm up with one connection, so imports and caches are not counted per connection.
    async with contextlib.AsyncExitStack() as warm:
        await _open_idle(kind, port, warm)
    gc.collect()
    if traced:
        tracemalloc.start()
    heap0, rss0 = tracemalloc.get_traced_memory()[0], _rss_kib()
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(count):
            await _open_idle(kind, port, stack)
        await asyncio.sleep(0.5)
        gc.collect()
        heap1, rss1 = tracemalloc.get_traced_memory()[0], _rss_kib()
    if traced:
        tracemalloc.stop()
        return {"connections": count, "heap_kib": round((heap1 - heap0) / 1024 / count, 1)}
    return {"connections": count, "rss_kib": round((rss1 - rss0) / count, 1)}


_SDK_CLIENTS: dict[int, Any] = {}


async def _open_idle(kind: str, port: int, stack: Any) -> None:
    """One idle connection that has read its two opening events (nothing left unread)."""
    if kind == "ours":
        import realtime_kit

        conn = await stack.enter_async_context(
            realtime_kit.connect(
                "gpt-realtime",
                api_key="sk-bench",
                base_url=f"http://127.0.0.1:{port}/v1",
                reconnect=False,
            )
        )
        await conn.__anext__()  # session.created
        await conn.__anext__()  # response.created
        return
    client = _SDK_CLIENTS.get(port)
    if client is None:
        from openai import AsyncOpenAI

        # One client for all connections, as an application would (each client loads its own
        # TLS context, several hundred KiB, which is no part of a connection's cost).
        client = _SDK_CLIENTS[port] = AsyncOpenAI(
            api_key="sk-bench",
            base_url=f"http://127.0.0.1:{port}/v1",
            websocket_base_url=f"ws://127.0.0.1:{port}/v1",
        )
    sdk_conn = await stack.enter_async_context(client.realtime.connect(model="gpt-realtime"))
    await sdk_conn.recv()
    await sdk_conn.recv()


def _idle_in_child(job: tuple[str, int, int, str, bool], out: Any) -> None:
    """Measure idle memory in a fresh interpreter, so one client's garbage is not another's."""
    kind, port, count, loop, traced = job
    if loop == "uvloop":
        import uvloop

        uvloop.install()
    out.put(asyncio.run(_idle(kind, port, count, traced)))


def _idle_fresh(kind: str, port: int, count: int, loop: str) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    result: dict[str, float] = {}
    for traced in (True, False):
        out = ctx.Queue()
        job = (kind, port, count, loop, traced)
        child = ctx.Process(target=_idle_in_child, args=(job, out))
        child.start()
        figures = out.get(timeout=300)
        child.join(30)
        result["connections"] = figures["connections"]
        key = "heap_kib_per_connection" if traced else "rss_kib_per_connection"
        result[key] = figures["heap_kib" if traced else "rss_kib"]
    return result


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"python": sys.version.split()[0], "loop": args.loop}
    contenders = (("ours", _ours_session), ("openai", _sdk_session), ("floor", _floor_session))
    with Server("paced") as server:
        for name, fn in contenders:
            results[f"duplex_{name}"] = await _run_duplex(
                fn, server.port, args.sessions, args.seconds
            )
    with Server("flood", args.flood) as server:
        for name, flood in (("ours", _ours_flood), ("openai", _sdk_flood)):
            # Best of three: a receive-only burst is short, so take the least disturbed run.
            runs = [await flood(server.port, args.flood) for _ in range(3)]
            results[f"receive_{name}_us_per_event"] = round(min(runs) * 1e6 / args.flood, 1)
    with Server("idle") as server:
        for name in ("ours", "openai"):
            results[f"idle_{name}"] = await asyncio.to_thread(
                _idle_fresh, name, server.port, args.idle, args.loop
            )
    ours, sdk = results["duplex_ours"], results["duplex_openai"]
    floor = results["duplex_floor"]
    results["ratio_sessions_per_core"] = round(
        ours["sessions_per_core"] / sdk["sessions_per_core"], 2
    )
    results["share_of_floor"] = round(ours["sessions_per_core"] / floor["sessions_per_core"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--flood", type=int, default=FLOOD, help="deltas in the receive burst")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    results = asyncio.run(_main(args))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for key, value in results.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
