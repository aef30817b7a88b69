"""Smoke test of ``benchmarks/bench_translator.py``: every contender really translates.

No timing is asserted; the figures live in the benchmark's output and ``docs/translator.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_translator.py"


def test_benchmark_runs_every_contender() -> None:
    result = subprocess.run(
        [sys.executable, str(_SCRIPT), "--seconds", "2", "--repeat", "1", "--targets", "1", "2",
         "--json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    figures = json.loads(result.stdout)
    assert figures["seconds_of_audio"] == 2
    for targets in (1, 2):
        row = figures[f"targets_{targets}"]
        # 10 frames in, a transcript word and 200 ms of speech out for each, per language
        assert row["bare_events"] >= targets * 20
        assert row["translator_items"] >= targets * 20
        for key in ("bare", "translator", "translator_20ms"):
            assert row[f"{key}_ms_cpu_per_audio_s"] > 0
        assert row["ratio"] > 0
        assert row["ratio_20ms"] > 0
