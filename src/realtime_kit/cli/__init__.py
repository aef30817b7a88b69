"""The ``realtime-kit`` command.

``main()`` builds an argparse parser with one sub-command per module in this package; each
sub-command module exposes ``register(subparsers)``, which adds its parser and sets ``handler``
(a function of the parsed namespace returning an exit code). To add a sub-command (``transcribe``,
``cost``, …), write ``cli/<name>.py`` with ``register`` and list it in ``_COMMANDS``.

Imports: argparse and the sub-command modules; each sub-command imports its own extras lazily so
``realtime-kit --help`` works with none installed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from realtime_kit.cli import cost, fake_server, scenario, talk, transcribe

__all__ = ["build_parser", "main"]

_COMMANDS = (transcribe, talk, cost, fake_server, scenario)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="realtime-kit", description="Tools for the OpenAI Realtime API (realtime_kit)."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    code: int = args.handler(args)
    return code
