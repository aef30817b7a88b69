"""``realtime-kit fake-server``: run the fake Realtime server in the foreground.

Prints the base URLs, then serves until interrupted (Ctrl-C). Needs the ``testing`` extra.

Imports: argparse, the standard library; ``realtime_kit.testing`` lazily.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``fake-server`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "fake-server",
        help="run the fake Realtime API server on 127.0.0.1",
        description="Serve the fake Realtime API (WebSocket sessions, client secrets, calls).",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
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
    from realtime_kit.testing import FakeRealtimeServer, ReplayServer

    server: FakeRealtimeServer
    if args.replay:
        server = ReplayServer(args.replay, port=args.port)
    else:
        server = FakeRealtimeServer(
            port=args.port, api_keys=args.api_keys, record_to=args.record, seed=args.seed
        )
    done = stop if stop is not None else threading.Event()
    if stop is None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
    with server:
        print(f"fake Realtime server listening on {server.base_url}", flush=True)
        print(f"  base_url={server.base_url}", flush=True)
        print(f"  websocket_base_url={server.ws_base_url}", flush=True)
        done.wait()
    return 0
