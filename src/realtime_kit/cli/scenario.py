"""``realtime-kit scenario``: run voice-agent scenario files offline and judge them.

Each file is played against the embedded fake server (the scenario's scripted model) by a
simulated caller; one line is printed per expectation (``PASS``/``FAIL``, what was expected, the
evidence), then a summary. The exit code is 0 when every scenario passed, 1 when any
expectation failed or a run broke off, 2 when a scenario file is wrong (one line saying where).
``--json`` prints one JSON report per scenario instead (results, turns, cost and the log).

Imports: argparse, anyio, the standard library, :mod:`realtime_kit.errors`; the scenario
runner (the ``testing`` extra) lazily.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import anyio

from realtime_kit.errors import ConfigurationError, MissingExtraError, RealtimeKitError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``scenario`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scenario",
        help="run voice-agent scenario files offline and judge them",
        description=(
            "Play each TOML scenario (the agent, a scripted model, a caller's turns and what to "
            "expect) against the embedded fake Realtime server with a simulated caller, and "
            "print one line per expectation. Exit code 1 when any fails. Offline: no API key, "
            "nothing leaves the machine."
        ),
        epilog="example: realtime-kit scenario examples/scenarios/weather.toml",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="a scenario file (TOML)")
    parser.add_argument("--json", action="store_true", help="one JSON report per scenario")
    parser.add_argument(
        "--quiet", action="store_true", help="print only failures and the summary line"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The sub-command: exit 0 (all passed), 1 (a failure), 2 (a bad file); never a traceback."""
    try:
        return anyio.run(_scenarios, args)
    except KeyboardInterrupt:
        return 130
    except ConfigurationError as exc:
        print(f"realtime-kit scenario: {exc}", file=sys.stderr)
        return 2
    except (RealtimeKitError, OSError) as exc:
        print(f"realtime-kit scenario: {exc}", file=sys.stderr)
        return 1


async def _scenarios(args: argparse.Namespace) -> int:
    try:
        from realtime_kit.testing.runner import run_scenario
        from realtime_kit.testing.scenario import Scenario
    except ImportError as exc:
        raise MissingExtraError("testing", exc.name or "starlette") from exc
    # Every file is read first: a mistake in the last one is reported before anything runs.
    scenarios = [Scenario.load(path) for path in args.files]
    code = 0
    for scenario in scenarios:
        report = await run_scenario(scenario)
        if args.json:
            print(report.to_json(), flush=True)
        else:
            print(f"OFFLINE scenario {scenario.name!r} ({scenario.source}), on the fake server")
            for result in report.results:
                if not (args.quiet and result.passed):
                    print(f"  {result.line()}")
            print(report.summary(), flush=True)
        if not report.passed:
            code = 1
    return code
