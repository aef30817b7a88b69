"""Smoke test of ``benchmarks/bench_conversation.py``: every measure runs and moves real frames.

No timing is asserted; the figures live in the benchmark's output and ``docs/performance.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_conversation.py"


def test_benchmark_runs_every_measure() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(_SCRIPT),
            "--trials",
            "30",
            "--sessions",
            "2",
            "--seconds",
            "0.5",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    figures = json.loads(result.stdout)
    for measure in ("barge_in_reaction", "delta_to_sink_24k", "delta_to_sink_16k"):
        assert figures[measure]["p50_us"] > 0
    duplex = figures["duplex"]
    for contender in ("connection", "conversation"):
        assert duplex[contender]["appends_sent"] > 0
        assert duplex[contender]["events_received"] > 0
    assert duplex["conversation_over_connection"] > 0
