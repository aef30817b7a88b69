"""The ``realtime-kit`` command.

``main()`` builds an argparse parser with one sub-command per module in this package; each
sub-command module exposes ``register(subparsers)``, which adds its parser and sets ``handler``
(a function of the parsed namespace returning an exit code). To add a sub-command (``transcribe``,
``cost``, …), write ``cli/<name>.py`` with ``register`` and list it in ``_COMMANDS``.

A failure a user can cause (a bad file, a busy port, a missing extra, an unreachable server) is
reported by :func:`main` as one line on stderr with a non-zero exit code, never a traceback: 2
for a usage or configuration problem, 1 for anything else, 130 for Ctrl-C.

Imports: argparse, the standard library, ``realtime_kit.errors`` and the sub-command modules;
each sub-command imports its own extras lazily so ``realtime-kit --help`` works with none
installed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from realtime_kit import __version__
from realtime_kit.cli import cost, fake_server, scenario, talk, transcribe, translate
from realtime_kit.errors import ConfigurationError, RealtimeKitError

__all__ = ["build_parser", "error_line", "main"]

_COMMANDS = (transcribe, translate, talk, scenario, cost, fake_server)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="realtime-kit", description="Tools for the OpenAI Realtime API (realtime_kit)."
    )
    parser.add_argument("--version", action="version", version=f"realtime-kit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(subparsers)
    return parser


def error_line(command: str, message: object) -> str:
    """``realtime-kit <command>: <message>`` on one line (whitespace runs folded)."""
    return f"realtime-kit {command}: {' '.join(str(message).split())}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except ConfigurationError as exc:
        print(error_line(args.command, exc), file=sys.stderr)
        return 2
    except RealtimeKitError as exc:
        print(error_line(args.command, f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    except OSError as exc:
        print(error_line(args.command, _os_error(exc)), file=sys.stderr)
        return 1
    return code


def _os_error(exc: OSError) -> str:
    """What an ``OSError`` says, without Python's ``[Errno N]`` prefix."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason
