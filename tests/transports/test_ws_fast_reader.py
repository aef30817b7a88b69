"""The asyncio driver's own text-frame reader agrees with websockets' parser on any input.

Server frames of every kind (whole and fragmented text, binary, pings between fragments, a
closing frame) are cut into chunks at arbitrary places and fed to ``data_received``; what comes
out — messages in order, a pong per ping, the close reply and code — must be what websockets
alone makes of the same bytes. A property test, because a codec is only right if it is right for
every split.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Close, Frame, Opcode
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from realtime_kit.errors import RemoteProtocolError
from realtime_kit.transports._ws_asyncio import AsyncioWebSocket
from realtime_kit.transports._ws_frames import client_protocol, text_frames


class _Wire(asyncio.Transport):
    """Captures what the driver writes; never touches a socket."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed


def _server_frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False, extensions=[])


# Short texts, and long ones that need the 64-bit length form (over 65,535 bytes).
_TEXT = st.text(max_size=300) | st.builds(
    lambda head, n: head * n, st.text(min_size=1, max_size=4), st.integers(17_000, 17_500)
)


@st.composite
def _streams(draw: Any) -> tuple[list[bytes], list[str | type], int, bool]:
    """(frames, expected messages, pings, ends with close)."""
    frames: list[bytes] = []
    expected: list[str | type] = []
    pings = 0
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["text", "text", "fragmented", "binary", "ping"]))
        if kind == "text":
            text = draw(_TEXT)
            frames.append(_server_frame(Opcode.TEXT, text.encode()))
            expected.append(text)
        elif kind == "fragmented":
            text = draw(st.text(min_size=2, max_size=200))
            raw = text.encode()
            cut = draw(st.integers(0, len(raw)))
            frames.append(_server_frame(Opcode.TEXT, raw[:cut], fin=False))
            if draw(st.booleans()):
                frames.append(_server_frame(Opcode.PING, b"mid"))
                pings += 1
            frames.append(_server_frame(Opcode.CONT, raw[cut:]))
            expected.append(text)
        elif kind == "binary":
            frames.append(_server_frame(Opcode.BINARY, draw(st.binary(max_size=50))))
            expected.append(RemoteProtocolError)
        else:
            frames.append(_server_frame(Opcode.PING, draw(st.binary(max_size=20))))
            pings += 1
    closes = draw(st.booleans())
    if closes:
        frames.append(_server_frame(Opcode.CLOSE, Close(1000, "bye").serialize()))
    return frames, expected, pings, closes


def _open_driver() -> tuple[AsyncioWebSocket, _Wire]:
    protocol = client_protocol(parse_uri("ws://127.0.0.1:1/v1/realtime"), None, None)
    server = ServerProtocol()
    wire = _Wire()
    driver = AsyncioWebSocket(
        protocol, secure=False, ping_interval=None, ping_timeout=1.0, close_timeout=1.0
    )
    driver._handshake = asyncio.get_running_loop().create_future()
    driver.connection_made(wire)
    server.receive_data(bytes(wire.written))
    (request,) = server.events_received()
    server.send_response(server.accept(request))
    wire.written.clear()
    driver.data_received(b"".join(server.data_to_send()))
    assert driver._handshake.done()
    driver._handshake = None
    return driver, wire


def _client_frames(data: bytes) -> list[Frame]:
    """Parse what the driver wrote (masked client frames)."""
    from websockets.streams import StreamReader

    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while True:
        parser = Frame.parse(reader.read_exact, mask=True, max_size=None, extensions=[])
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
            continue
        except EOFError:
            return frames
        return frames


@settings(max_examples=150, deadline=None)
@given(stream=_streams(), cuts=st.lists(st.integers(1, 70_000), max_size=12))
def test_any_split_gives_what_websockets_gives(
    stream: tuple[list[bytes], list[str | type], int, bool], cuts: list[int]
) -> None:
    frames, expected, pings, closes = stream
    wire_bytes = b"".join(frames)
    points = sorted({c % (len(wire_bytes) + 1) for c in cuts} | {0, len(wire_bytes)})
    chunks = [wire_bytes[a:b] for a, b in itertools.pairwise(points) if b > a]

    async def run() -> tuple[list[Any], list[Frame], AsyncioWebSocket]:
        driver, wire = _open_driver()
        got: list[Any] = []
        for chunk in chunks:
            driver.data_received(chunk)
            while driver._messages:
                got.append(driver._messages.popleft())
        return got, _client_frames(bytes(wire.written)), driver

    got, written, driver = asyncio.run(run())
    assert [m if isinstance(m, str) else type(m) for m in got] == expected
    assert sum(1 for f in written if f.opcode is Opcode.PONG) == pings
    if closes:
        assert driver.closed
        assert driver.close_code == 1000
        assert written[-1].opcode is Opcode.CLOSE
    else:
        assert not driver.closed


def test_a_masked_server_frame_is_left_to_websockets() -> None:
    masked = Frame(Opcode.TEXT, b"hi").serialize(mask=True, extensions=[])
    emitted: list[Any] = []
    assert text_frames(masked, emitted.append) == (0, True)
    assert emitted == []


def test_invalid_utf8_is_a_typed_message_error() -> None:
    emitted: list[Any] = []
    at, _ = text_frames(_server_frame(Opcode.TEXT, b"\xff\xfe"), emitted.append)
    assert at == 4
    assert isinstance(emitted[0], RemoteProtocolError)


def test_a_masked_frame_on_the_wire_fails_the_connection_with_1002() -> None:
    async def run() -> tuple[AsyncioWebSocket, list[Frame]]:
        driver, wire = _open_driver()
        driver.data_received(Frame(Opcode.TEXT, b"x").serialize(mask=True, extensions=[]))
        written = _client_frames(bytes(wire.written))
        driver.eof_received()  # the server drops TCP after our close frame
        return driver, written

    driver, written = asyncio.run(run())
    assert [f.opcode for f in written] == [Opcode.CLOSE]
    assert Close.parse(written[0].data).code == 1002
    assert driver.closed
    assert not driver._messages
