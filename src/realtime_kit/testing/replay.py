"""``ReplayServer``: a recording (:mod:`realtime_kit.testing.recording`) played back as a server.

Each incoming socket takes the next recorded connection for the same path. The server then sends
that connection's recorded ``out`` frames in order; before each one it waits until the client has
sent as many frames as it had sent at that point of the recording, so the causal order (a reply
after its request) holds. A recorded close is replayed with its code and reason. With
``timing=True`` the recorded gaps between frames are kept (real time).

Imports: anyio, starlette, the standard library, sibling testing modules.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from realtime_kit.testing._wire import abort_transport
from realtime_kit.testing.recording import load_recording
from realtime_kit.testing.server import FakeRealtimeServer

__all__ = ["ReplayServer"]


class ReplayServer(FakeRealtimeServer):
    """A server that answers with a recording instead of a session.

    Args:
        recording: path of a JSONL recording.
        timing: keep the recorded gaps between frames (default: send as soon as order allows).
        port: TCP port on 127.0.0.1 (0 picks a free one).

    Raises:
        ValueError: the file is not a recording.
    """

    def __init__(self, recording: str | Path, *, timing: bool = False, port: int = 0) -> None:
        super().__init__(port=port)
        records = load_recording(recording)
        self.timing = timing
        self._scripts: dict[int, list[dict[str, Any]]] = {}
        self._opens: list[tuple[int, str]] = []
        for record in records:
            conn = int(record["conn"])
            if record["dir"] == "open":
                self._opens.append((conn, str(record.get("path", ""))))
            self._scripts.setdefault(conn, []).append(record)
        self._lock = threading.Lock()
        self._used: set[int] = set()
        self.replayed: list[int] = []
        """Recorded connection numbers replayed so far, in order."""

    def _next_script(self, path: str) -> list[dict[str, Any]] | None:
        with self._lock:
            for conn, recorded_path in self._opens:
                if conn not in self._used and recorded_path == path:
                    self._used.add(conn)
                    self.replayed.append(conn)
                    return self._scripts[conn]
        return None

    def _app(self) -> Any:
        app = Starlette(
            routes=[
                WebSocketRoute("/v1/realtime", self._replay),
                WebSocketRoute("/v1/realtime/translations", self._replay),
            ]
        )

        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            scope["realtime_kit.raw_send"] = send  # for replaying drops (see _wire)
            await app(scope, receive, send)

        return asgi

    async def _replay(self, ws: WebSocket) -> None:
        script = self._next_script(ws.url.path)
        await ws.accept()
        if script is None:
            await ws.close(1011, "no recorded connection left for this path")
            return
        received = 0
        progressed = anyio.Event()

        async def reader() -> None:
            nonlocal received, progressed
            try:
                while True:
                    await ws.receive_text()
                    received += 1
                    progressed.set()
                    progressed = anyio.Event()
            except (WebSocketDisconnect, RuntimeError):
                return

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            needed = 0
            last_t = 0.0
            for record in script:
                if record["dir"] == "in":
                    needed += 1
                    continue
                while received < needed:
                    await progressed.wait()
                if self.timing:
                    await anyio.sleep(max(0.0, float(record["t"]) - last_t))
                last_t = float(record["t"])
                if record["dir"] == "out":
                    frame = record.get("frame")
                    text = json.dumps(frame) if frame is not None else str(record.get("text"))
                    await ws.send_text(text)
                elif record["dir"] == "close":
                    code = int(record["code"])
                    # 1006 is never sent on the wire: a recorded drop is replayed as a drop.
                    if code == 1006 and abort_transport(ws):
                        break
                    await ws.close(1000 if code in (1005, 1006) else code, str(record["reason"]))
                    break
            tg.cancel_scope.cancel()
