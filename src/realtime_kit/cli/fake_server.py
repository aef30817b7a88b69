"""``realtime-kit fake-server``: run the fake Realtime server in the foreground.

Prints the base URLs, then serves until interrupted (Ctrl-C). Needs the ``testing`` extra.
A busy port, an unreadable recording or an unwritable record file is a typed error that
:func:`realtime_kit.cli.main` prints as one line.

Imports: argparse, the standard library, ``realtime_kit.errors``; ``realtime_kit.testing``
lazily.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from realtime_kit.errors import ConfigurationError, MissingExtraError, TransportError

__all__ = ["register", "run"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0…65535, not {port}")
    return port


def register(subparsers: Any) -> None:
    """Add the ``fake-server`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "fake-server",
        help="run the fake Realtime API server on 127.0.0.1",
        description="Serve the fake Realtime API (WebSocket sessions, client secrets, calls).",
    )
    parser.add_argument("--port", type=_port, default=0, help="TCP port (default: a free one)")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this key (repeatable; default: any sk-… key)",
    )
    parser.add_argument("--record", metavar="FILE", help="record all frames to a JSONL file")
    parser.add_argument(
        "--replay", metavar="FILE", help="serve a recording instead of live sessions"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for ids")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve until SIGINT/SIGTERM (or until ``stop`` is set, for tests); returns 0."""
    try:
        from realtime_kit.testing import FakeRealtimeServer, ReplayServer
    except ImportError as exc:
        raise MissingExtraError("testing", exc.name or "realtime_kit.testing") from exc

    server: FakeRealtimeServer
    if args.replay:
        try:
            server = ReplayServer(args.replay, port=args.port)
        except OSError as exc:
            raise ConfigurationError(f"cannot read {args.replay}: {exc.strerror}") from exc
        except ValueError as exc:
            raise ConfigurationError(f"{args.replay} is not a recording: {exc}") from exc
    else:
        server = FakeRealtimeServer(
            port=args.port, api_keys=args.api_keys, record_to=args.record, seed=args.seed
        )
    try:
        server.start()
    except OSError as exc:
        if exc.filename is not None:
            raise ConfigurationError(f"cannot record to {exc.filename}: {exc.strerror}") from exc
        raise TransportError(
            f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}"
        ) from exc
    done = stop if stop is not None else threading.Event()
    previous: dict[signal.Signals, Any] = {}
    try:
        if stop is None:
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, lambda *_: done.set())
        print(f"fake Realtime server listening on {server.base_url}", flush=True)
        print(f"  base_url={server.base_url}", flush=True)
        print(f"  websocket_base_url={server.ws_base_url}", flush=True)
        done.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    return 0
