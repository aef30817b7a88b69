"""A raw WebSocket server on 127.0.0.1 that misbehaves on cue: the client's reliability tests.

It speaks just enough RFC 6455 to be believed (the opening handshake, frames both ways, pings
and the closing handshake) and then does what a script says, including what no well-behaved
server does: reset the TCP connection, stop half-way through a frame, close with 1011, never
answer a ping, refuse the handshake with a body that echoes the request headers, or send
garbage where an event belongs.

It runs on its own threads with blocking sockets, so the client under test may run under any
event loop — a plain ``asyncio.run()``, ``uvloop.run()``, ``trio.run()``, the anyio pytest
runner — or in another process. Nothing here waits on wall-clock time except the socket
timeouts that keep a broken test from hanging forever.

Each accepted connection plays one script, a list of steps; connection ``n`` plays
``scripts[n]`` (the last script repeats). Unless the first step is :class:`Refuse` or
:class:`NoHandshake`, the connection first completes the opening handshake. When the steps run
out the server holds the connection: it answers pings and the client's close frame.

Imports: the standard library only.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AwaitFrame",
    "Close",
    "FinMidFrame",
    "HostileServer",
    "NoHandshake",
    "Refuse",
    "Reset",
    "Send",
    "SendRaw",
    "Silent",
    "Step",
    "session_created",
    "text_frame",
]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Only a safety net: a client that never answers must not keep a test thread alive forever.
_SOCKET_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Send:
    """Send one text frame (a dict is sent as JSON)."""

    payload: str | dict[str, Any]


@dataclass(frozen=True)
class SendRaw:
    """Send these bytes as they are (several frames, or a broken one)."""

    data: bytes


@dataclass(frozen=True)
class AwaitFrame:
    """Wait for the client's next text frame (answering pings meanwhile)."""


@dataclass(frozen=True)
class Close:
    """Send a close frame, wait for the client's reply (or its leaving), drop the socket."""

    code: int
    reason: str = ""


@dataclass(frozen=True)
class Reset:
    """Drop the TCP connection with a reset (RST), no close frame."""


@dataclass(frozen=True)
class FinMidFrame:
    """Send the first half of a text frame, then end the TCP stream (FIN)."""


@dataclass(frozen=True)
class Silent:
    """Answer nothing any more — no pong, no close reply — until the client goes away."""


@dataclass(frozen=True)
class Refuse:
    """Answer the handshake with an HTTP error; ``echo_headers`` puts the request in the body."""

    status: int = 401
    body: str = ""
    echo_headers: bool = False


@dataclass(frozen=True)
class NoHandshake:
    """Read the handshake request and never answer it (until the client goes away)."""


Step = Send | SendRaw | AwaitFrame | Close | Reset | FinMidFrame | Silent | Refuse | NoHandshake


def session_created(session_id: str = "sess_hostile", **session: Any) -> dict[str, Any]:
    """A ``session.created`` event for a realtime session."""
    body = {"type": "realtime", "id": session_id, "object": "realtime.session", **session}
    return {"type": "session.created", "event_id": f"event_{session_id}", "session": body}


def text_frame(payload: str | bytes, *, opcode: int = 0x1) -> bytes:
    """One unmasked server frame (text unless ``opcode`` says otherwise)."""
    data = payload.encode() if isinstance(payload, str) else payload
    size = len(data)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + data


class _ClientGoneError(Exception):
    """The client closed the connection (or reset it)."""


@dataclass
class Seen:
    """What one connection saw: the handshake request and the client's text frames."""

    request: bytes = b""
    frames: list[str] = field(default_factory=list)
    closed_by_client: tuple[int, str] | None = None
    pings: int = 0


class _Peer:
    """One accepted connection: a blocking socket plus a read buffer."""

    def __init__(self, sock: socket.socket, seen: Seen) -> None:
        self.sock = sock
        self.seen = seen
        self.buffer = bytearray()
        self.answer_pings = True

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except OSError as exc:
            raise _ClientGoneError from exc
        if not chunk:
            raise _ClientGoneError
        self.buffer += chunk

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def read_request(self) -> bytes:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        end = self.buffer.index(b"\r\n\r\n") + 4
        request = bytes(self.buffer[:end])
        del self.buffer[:end]
        self.seen.request = request
        return request

    def read_frame(self) -> tuple[int, bytes]:
        first, second = self._take(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self._take(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", self._take(8))
        mask = self._take(4) if second & 0x80 else b""
        data = self._take(size)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return first & 0x0F, data

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise _ClientGoneError from exc

    def next_text(self) -> str:
        """The client's next text frame; pings are answered (unless silent), a close ends it."""
        while True:
            opcode, data = self.read_frame()
            if opcode == 0x1:
                text = data.decode()
                self.seen.frames.append(text)
                return text
            if opcode == 0x9:
                self.seen.pings += 1
                if self.answer_pings:
                    self.send(text_frame(data, opcode=0xA))
            elif opcode == 0x8:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                self.seen.closed_by_client = (code, data[2:].decode(errors="replace"))
                if self.answer_pings:
                    self.send(text_frame(data[:2], opcode=0x8))
                raise _ClientGoneError


def _accept_value(request: bytes) -> str:
    for line in request.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "sec-websocket-key":
            digest = hashlib.sha1(value.strip().encode() + _GUID).digest()
            return base64.b64encode(digest).decode()
    return ""


class HostileServer:
    """Serve scripted, misbehaving WebSocket connections on 127.0.0.1 (see the module docstring).

    Use it as a context manager; :attr:`base_url` is what ``connect(base_url=...)`` takes and
    :attr:`seen` has one :class:`Seen` per accepted connection, in order.
    """

    def __init__(self, *scripts: Sequence[Step]) -> None:
        if not scripts:
            raise ValueError("give at least one script")
        self._scripts = [list(script) for script in scripts]
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.seen: list[Seen] = []
        self._threads: list[threading.Thread] = []
        self._peers: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def connections(self) -> int:
        """How many connections were accepted so far."""
        with self._lock:
            return len(self.seen)

    def __enter__(self) -> HostileServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop accepting, drop every connection still open, and wait for the threads."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            peers = list(self._peers)
        for sock in peers:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(_SOCKET_TIMEOUT_S)
        for thread in list(self._threads):
            thread.join(_SOCKET_TIMEOUT_S)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.settimeout(_SOCKET_TIMEOUT_S)
            with self._lock:
                index = len(self.seen)
                seen = Seen()
                self.seen.append(seen)
                self._peers.append(sock)
            script = self._scripts[min(index, len(self._scripts) - 1)]
            thread = threading.Thread(
                target=self._serve, args=(sock, seen, script), name=f"hostile-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, seen: Seen, script: list[Step]) -> None:
        peer = _Peer(sock, seen)
        try:
            request = peer.read_request()
            if not script or not isinstance(script[0], Refuse | NoHandshake):
                peer.send(
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
                    + _accept_value(request).encode()
                    + b"\r\n\r\n"
                )
            for step in script:
                if self._play(peer, step, request):
                    return
            while True:  # the script is over: hold the line until the client leaves
                peer.next_text()
        except _ClientGoneError:
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _play(self, peer: _Peer, step: Step, request: bytes) -> bool:
        """Play one step; ``True`` when the connection is over."""
        match step:
            case Send(payload):
                text = payload if isinstance(payload, str) else json.dumps(payload)
                peer.send(text_frame(text))
            case SendRaw(data):
                peer.send(data)
            case AwaitFrame():
                peer.next_text()
            case Close(code, reason):
                peer.send(text_frame(struct.pack("!H", code) + reason.encode(), opcode=0x8))
                with contextlib.suppress(_ClientGoneError):
                    while True:
                        peer.next_text()
                return True
            case Reset():
                peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return True  # closing the socket now sends the reset
            case FinMidFrame():
                frame = text_frame(json.dumps({"type": "rate_limits.updated", "pad": "x" * 64}))
                peer.send(frame[: len(frame) // 2])
                peer.sock.shutdown(socket.SHUT_WR)
                with contextlib.suppress(_ClientGoneError):
                    while True:
                        peer.next_text()
                return True
            case Silent():
                peer.answer_pings = False
                with contextlib.suppress(_ClientGoneError):
                    while True:
                        peer.next_text()
                return True
            case Refuse(status, body, echo_headers):
                text = body + (request.decode("latin-1") if echo_headers else "")
                payload = text.encode()
                peer.send(
                    f"HTTP/1.1 {status} Refused\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                    + payload
                )
                return True
            case NoHandshake():
                with contextlib.suppress(_ClientGoneError):
                    while True:
                        peer._fill()
                return True
        return False
