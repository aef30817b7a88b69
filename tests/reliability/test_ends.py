"""Every end of an established connection raises, reconnects or calls back — under a plain
``asyncio.run()``, ``uvloop.run()`` and ``trio.run()``, not only under the anyio pytest runner.

Issue 12, defect 1: on asyncio the transport calls the connection from its socket and timer
callbacks, where there is no current task; anything there that asks anyio for the running
backend failed, the failure was lost in the event loop's exception handler, and the connection
hung silently. The anyio pytest runner hid it, so these scenarios run in a subprocess under the
bare runners a user's program would use (``tests/reliability/ends_client.py``), one subprocess
per runner, against a hostile raw WebSocket server (and the fake server on a fake clock for the
60-minute cap).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.ends_client import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
RUNNERS = ["asyncio", "uvloop", "trio"]
# Each scenario bounds itself (ends_client.HANG_S); this only catches a wedged interpreter.
_SUBPROCESS_TIMEOUT_S = 170.0


@functools.cache
def outcomes(runner: str) -> dict[str, dict[str, Any]]:
    """Run every scenario once under ``runner`` (in a fresh interpreter) and parse the report."""
    if runner == "uvloop":
        pytest.importorskip("uvloop")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "reliability" / "ends_client.py"), runner],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=_SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    report = {line.pop("scenario"): line for line in lines}
    assert done.returncode == 0, f"{runner} runner failed:\n{done.stderr[-4000:]}"
    # Whatever an event loop's exception handler logged is a failure that nobody was told of.
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    return report


def outcome(runner: str, scenario: str) -> dict[str, Any]:
    report = outcomes(runner)
    assert scenario in report, f"{scenario} did not report under {runner}"
    result = report[scenario]
    assert result["end"] != "hang", f"{scenario} hung under {runner}: {result}"
    return result


FATAL = {
    "invalid_api_key": ("AuthenticationError", "invalid_api_key"),
    "insufficient_quota": ("QuotaExceededError", "insufficient_quota"),
    "session_expired": ("SessionExpiredError", "session_expired"),
}
DROPS = {
    "tcp_reset": 1006,
    "fin_mid_frame": 1006,
    "close_1011": 1011,
    "unanswered_pings": 1006,
}


def test_every_scenario_is_checked() -> None:
    assert set(SCENARIOS) == {*FATAL, *DROPS, *RECONNECTS, "async_handler", "rollover"}


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("scenario", sorted(FATAL))
def test_a_fatal_error_event_raises_its_type_and_does_not_reconnect(
    runner: str, scenario: str
) -> None:
    result = outcome(runner, scenario)
    error, code = FATAL[scenario]
    assert (result["end"], result["error"], result["code"]) == ("raised", error, code)
    assert result["events"][-1] == "ErrorEvent"  # the error itself was delivered first
    assert result["send_after_end"] == error
    assert result.get("connections", 1) == 1


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("scenario", sorted(DROPS))
def test_a_drop_without_reconnect_raises_connection_closed(runner: str, scenario: str) -> None:
    result = outcome(runner, scenario)
    assert (result["end"], result["error"], result["code"]) == (
        "raised",
        "ConnectionClosedError",
        DROPS[scenario],
    )
    assert result["send_after_end"] == "ConnectionClosedError"
    if scenario == "unanswered_pings":
        assert "keepalive" in result["reason"]


RECONNECTS = ["reconnect_after_1011", "reconnect_after_reset"]


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("scenario", RECONNECTS)
def test_a_drop_with_reconnect_restores_the_session(runner: str, scenario: str) -> None:
    result = outcome(runner, scenario)
    assert result["end"] == "clean"
    assert result["connections"] == 2
    assert result["events"][-2:] == ["ConnectionRestored", "RateLimitsUpdatedEvent"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_rollover_switches_sessions(runner: str) -> None:
    result = outcome(runner, "rollover")
    assert (result["end"], result["cause"]) == ("restored", "rollover")


@pytest.mark.parametrize("runner", RUNNERS)
def test_an_async_handler_runs(runner: str) -> None:
    result = outcome(runner, "async_handler")
    assert result == {"handled": "event_rl", "end": "handled"}
