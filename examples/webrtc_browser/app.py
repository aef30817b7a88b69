"""A browser voice agent over WebRTC: this app mints an ephemeral key, the page does the rest.

The server side holds the standard API key and hands the browser a short-lived ``ek_`` key
(``POST /session``, through realtime_kit's REST client). The page (``index.html``) then talks to
the Realtime API directly: it posts its SDP offer to ``/v1/realtime/calls`` with that key,
speaks on its microphone track and logs the events of the ``oai-events`` data channel.

Runs offline by default, against realtime_kit's fake server with its WebRTC answerer::

    python examples/webrtc_browser/app.py            # then open the printed address
    python examples/webrtc_browser/app.py --api-base https://api.openai.com/v1   # the real API

Needs the ``testing`` extra (Starlette, uvicorn) and, for the offline server, ``webrtc``.
"""

from __future__ import annotations

import argparse
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from realtime_kit import RealtimeREST
from realtime_kit.errors import APIError

PAGE = Path(__file__).with_name("index.html")

#: The session the browser gets: a voice agent that also transcribes what it hears.
SESSION: dict[str, Any] = {
    "type": "realtime",
    "model": "gpt-realtime",
    "instructions": "You are a friendly voice agent. Answer in one short sentence.",
    "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
}


def create_app(api_base: str, api_key: str, session: Mapping[str, Any] | None = None) -> Starlette:
    """The web app: ``/`` is the page, ``POST /session`` mints a key for one browser."""

    async def page(request: Request) -> Response:
        return FileResponse(PAGE, media_type="text/html")

    async def mint(request: Request) -> Response:
        try:
            async with RealtimeREST(api_key=api_key, base_url=api_base) as rest:
                secret = await rest.create_client_secret(
                    dict(session or SESSION), expires_after_seconds=120
                )
        except APIError as exc:
            return JSONResponse({"error": str(exc)}, status_code=502)
        # The standard key never leaves this server; the browser gets a 2-minute key.
        return JSONResponse({"key": secret.value, "calls_url": f"{api_base}/realtime/calls"})

    return Starlette(routes=[Route("/", page), Route("/session", mint, methods=["POST"])])


@contextmanager
def serve(app: Starlette, port: int = 0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a background thread; yields its address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the example app did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--api-base", help="the API's base URL (default: an offline fake server on loopback)"
    )
    args = parser.parse_args(argv)
    if args.api_base:
        app = create_app(args.api_base, os.environ["OPENAI_API_KEY"])
        with serve(app, args.port) as url, suppress(KeyboardInterrupt):
            print(f"open {url}  (Ctrl-C to stop)")
            threading.Event().wait()
        return
    from realtime_kit.testing import FakeRealtimeServer

    with (
        FakeRealtimeServer(webrtc=True) as fake,
        serve(create_app(fake.base_url, "sk-example"), args.port) as url,
        suppress(KeyboardInterrupt),
    ):
        print(f"open {url}  (fake API at {fake.base_url}; Ctrl-C to stop)")
        threading.Event().wait()


if __name__ == "__main__":
    main()
