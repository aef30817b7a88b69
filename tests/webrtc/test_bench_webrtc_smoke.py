"""Smoke test of ``benchmarks/bench_webrtc.py``: both clients really set up calls and move audio
and events both ways. No timing is asserted; the figures live in docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_webrtc.py"


def test_benchmark_runs_both_clients() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(_SCRIPT),
            "--sessions",
            "1",
            "--seconds",
            "1.5",
            "--setups",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    figures = json.loads(result.stdout)
    for client in ("ours", "bare"):
        assert figures[f"setup_ms_{client}"] > 0
        duplex = figures[f"duplex_{client}"]
        assert duplex["audio_in_s_per_session"] > 0.5, duplex
        assert duplex["events_in_per_session"] >= 5, duplex
        assert duplex["cpu_s"] > 0
