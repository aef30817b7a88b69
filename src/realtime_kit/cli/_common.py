"""What the live-audio commands (``transcribe``, ``translate``) share: the source and run options,
the rich display's frame (console, progress bar, notices; text escaped before rich sees it), and
running a command under anyio so that what stopped it is raised as itself (for
:func:`realtime_kit.cli.main` to print as one line).

Imports: argparse, anyio, the standard library, ``errors``; rich and ``cost`` lazily.
"""

from __future__ import annotations

import argparse
import json
import wave
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import anyio

from realtime_kit.errors import ConfigurationError, MissingExtraError, RealtimeKitError

__all__ = [
    "Emit",
    "LiveDisplay",
    "add_run_options",
    "add_source",
    "budget",
    "escape",
    "file_seconds",
    "leaf",
    "money",
    "run_command",
]

Emit = Callable[[dict[str, Any]], None]


def add_source(parser: argparse.ArgumentParser) -> None:
    """The audio source: a WAV file, or ``--mic``."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a PCM WAV file")
    source.add_argument("--mic", action="store_true", help="the default microphone (Ctrl-C ends)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """``--json``, ``--offline``, ``--realtime``, ``--budget``."""
    parser.add_argument("--json", action="store_true", help="JSON lines instead of the display")
    parser.add_argument("--offline", action="store_true", help="use the embedded fake server")
    parser.add_argument(
        "--realtime", action="store_true", help="send a file at speaking pace, like a live source"
    )
    parser.add_argument("--budget", metavar="USD", help="stop cleanly after spending this much")


def file_seconds(path: str) -> float:
    """The duration of a WAV file, or a clear error if it is not one."""
    try:
        with wave.open(path, "rb") as w:
            return w.getnframes() / float(w.getframerate())
    except (OSError, wave.Error, EOFError) as exc:
        raise ConfigurationError(f"cannot read {path!r} as a PCM WAV file: {exc}") from exc


def money(value: Decimal | None) -> str:
    return "unpriced" if value is None else f"${value:.6f}"


def budget(value: str | None) -> Any:
    """A :class:`~realtime_kit.cost.Budget` from ``--budget``, or None."""
    if value is None:
        return None
    from realtime_kit.cost import Budget

    return Budget(value)


def escape(text: str) -> str:
    """``text`` shown as it is (rich would read ``[es]`` as markup)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class LiveDisplay:
    """A rich console with a transient progress line: a description (the partial caption), a bar
    for files, elapsed time."""

    def __init__(self, total_seconds: float | None) -> None:
        try:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        except ImportError as exc:
            raise MissingExtraError("cli", "rich") from exc
        self.console = Console(highlight=False)
        columns: list[Any] = [TextColumn("{task.description}")]
        if total_seconds is not None:
            columns += [BarColumn(), TextColumn("{task.completed:.1f}/{task.total:.1f} s")]
        columns.append(TimeElapsedColumn())
        self.progress = Progress(*columns, console=self.console, transient=True)
        self.task = self.progress.add_task("listening…", total=total_seconds)

    def note(self, text: str) -> None:
        self.console.print(f"[bold yellow]{escape(text)}[/]")


def leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error inside a task group's failure that says what went wrong."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        item = pending.pop(0)
        if isinstance(item, BaseExceptionGroup):
            pending[:0] = list(item.exceptions)
        else:
            leaves.append(item)
    for found in leaves:
        if isinstance(found, RealtimeKitError | KeyboardInterrupt):
            return found
    return leaves[0] if leaves else group


def run_command(
    main: Callable[[argparse.Namespace, Emit], Awaitable[int]], args: argparse.Namespace
) -> int:
    """Run ``main`` under anyio with an ``emit`` that prints JSON lines; returns its exit code,
    or raises the error that stopped it (not the task group wrapping it)."""

    def emit(obj: dict[str, Any]) -> None:
        print(json.dumps(obj), flush=True)

    try:
        return anyio.run(main, args, emit)
    except BaseExceptionGroup as group:
        raise leaf(group) from None
