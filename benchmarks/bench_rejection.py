"""Benchmark: what it costs to refuse a pathological frame (issue 12, defect 5).

Run it as ``python benchmarks/bench_rejection.py`` (``--json`` for machine-readable output). The
frames are 100,000-element lists of numbers where a typed list belongs (``response.output``, an
item's ``content``, ``rate_limits``), compact JSON of about 0.59 MB each. In one run it measures,
per frame:

* **guarded**: ``realtime_kit``'s decoder, whose validators stop a list at its first bad element;
* **unguarded**: the decoder as it was before — the same models' own validator, which builds one
  error per element, then the same error reporting;
* **parse**: ``pydantic_core.from_json`` of the same bytes — the floor: reading the JSON at all;

as CPU time (best of ``--repeats``, the candidates taking turns so outside load hits all alike),
tracemalloc's peak (Python-side memory) and, in a fresh interpreter per candidate, the growth of
the resident set. Machines differ: the ratios are what carry over.

May import: realtime_kit, pydantic, pydantic_core and the standard library (a dev-only script).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pydantic_core
from pydantic import ValidationError

from realtime_kit.errors import DecodeError
from realtime_kit.events import _codec as codec
from realtime_kit.events import decode_server_event

N = 100_000


def frames() -> dict[str, bytes]:
    numbers = list(range(N))
    payloads: dict[str, Any] = {
        "response.output": {
            "type": "response.done",
            "event_id": "e",
            "response": {"id": "r", "output": numbers},
        },
        "item.content": {
            "type": "conversation.item.added",
            "event_id": "e",
            "item": {"id": "i", "type": "message", "role": "user", "content": numbers},
        },
        "rate_limits": {"type": "rate_limits.updated", "event_id": "e", "rate_limits": numbers},
    }
    return {name: json.dumps(p, separators=(",", ":")).encode() for name, p in payloads.items()}


def guarded(frame: bytes) -> None:
    try:
        decode_server_event(frame)
    except DecodeError:
        return
    raise AssertionError("the frame was accepted")


_BEFORE = codec.EventDecoder()


def unguarded(frame: bytes) -> None:
    """The decoder as it was: the models' own validator, then the same error reporting."""
    try:
        codec._SERVER.validator.validate_json(frame)
    except ValidationError as exc:
        try:
            _BEFORE._fallback(frame, exc, codec.UnknownServerEvent)
        except DecodeError:
            return
    raise AssertionError("the frame was accepted")


def parse(frame: bytes) -> None:
    pydantic_core.from_json(frame)


CANDIDATES: dict[str, Callable[[bytes], None]] = {
    "guarded": guarded,
    "unguarded": unguarded,
    "parse": parse,
}


def cpu_seconds(repeats: int, frame: bytes) -> dict[str, float]:
    best = {name: float("inf") for name in CANDIDATES}
    for turn in range(repeats):
        names = list(CANDIDATES)
        names = names[turn % len(names) :] + names[: turn % len(names)]
        for name in names:
            started = time.process_time()
            CANDIDATES[name](frame)
            best[name] = min(best[name], time.process_time() - started)
    return best


def traced_peak(fn: Callable[[bytes], None], frame: bytes) -> int:
    tracemalloc.start()
    try:
        fn(frame)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rss_growth(name: str, frame_name: str) -> int:
    """Peak resident-set growth (bytes) of one rejection, in a fresh interpreter (reading the
    JSON included: compare with the ``parse`` candidate)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, frame_name],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


def _peak_rss() -> int:
    """This process's peak resident set in bytes (``VmHWM``: unlike ``ru_maxrss``, it is not
    inherited from the parent across fork and exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def child(name: str, frame_name: str) -> None:
    frame = frames()[frame_name]
    before = _peak_rss()
    CANDIDATES[name](frame)
    print(_peak_rss() - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results: dict[str, Any] = {}
    for frame_name, frame in frames().items():
        seconds = cpu_seconds(args.repeats, frame)
        results[frame_name] = {
            "bytes": len(frame),
            "cpu_s": seconds,
            "traced_peak": {name: traced_peak(fn, frame) for name, fn in CANDIDATES.items()},
            "rss_growth": {name: rss_growth(name, frame_name) for name in CANDIDATES},
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"refusing a {N:,}-element list where a typed list belongs (best of {args.repeats})")
    for frame_name, r in results.items():
        cpu, peak, rss = r["cpu_s"], r["traced_peak"], r["rss_growth"]
        print(
            f"\n{frame_name} ({r['bytes'] / 1e6:.2f} MB)\n"
            f"  CPU     guarded {cpu['guarded'] * 1e3:7.1f} ms   unguarded "
            f"{cpu['unguarded'] * 1e3:7.1f} ms   parse {cpu['parse'] * 1e3:6.1f} ms   "
            f"unguarded/guarded {cpu['unguarded'] / cpu['guarded']:5.0f}x   "
            f"guarded/parse {cpu['guarded'] / cpu['parse']:4.1f}x\n"
            f"  traced  guarded {peak['guarded'] / 1e6:7.1f} MB   unguarded "
            f"{peak['unguarded'] / 1e6:7.1f} MB   parse {peak['parse'] / 1e6:6.1f} MB\n"
            f"  RSS +   guarded {rss['guarded'] / 1e6:7.1f} MB   unguarded "
            f"{rss['unguarded'] / 1e6:7.1f} MB   parse {rss['parse'] / 1e6:6.1f} MB"
        )


if __name__ == "__main__":
    main()
