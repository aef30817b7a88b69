"""Smoke test of ``benchmarks/bench_connection.py``: every contender really moves frames both ways.

No timing is asserted; the figures live in the benchmark's output and ``docs/connecting.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_connection.py"


def test_benchmark_runs_both_clients() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(_SCRIPT),
            "--sessions",
            "2",
            "--seconds",
            "0.5",
            "--idle",
            "3",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    figures = json.loads(result.stdout)
    for client in ("ours", "openai"):
        duplex = figures[f"duplex_{client}"]
        assert duplex["appends_sent"] == 2 * 25  # 2 sessions, 0.5 s of 20 ms frames
        assert duplex["events_received"] > 0
        assert duplex["sessions_per_core"] > 0
        assert figures[f"idle_{client}"]["connections"] == 3
    floor = figures["duplex_floor"]
    assert floor["appends_sent"] == 2 * 25
    assert floor["events_received"] > 0
    assert figures["ratio_sessions_per_core"] > 0
    assert figures["share_of_floor"] > 0
    for client in ("ours", "openai"):
        assert figures[f"idle_{client}"]["heap_kib_per_connection"] > 0
    assert figures["receive_ours_us_per_event"] > 0
    assert figures["receive_openai_us_per_event"] > 0
