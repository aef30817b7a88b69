"""``client_text_frame`` and its mask pool, checked against websockets' own server-side parser."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader
from websockets.uri import parse_uri

from realtime_kit.transports import _ws_frames as ws
from realtime_kit.transports.websocket import client_text_frame

# The header-length boundaries of RFC 6455 §5.2 (7-bit, 16-bit and 64-bit lengths), each side.
_EDGES = (0, 1, 124, 125, 126, 127, 65535, 65536, 65537)


def parse_all(data: bytes) -> list[Frame]:
    """Every frame in ``data`` as a server reads it (masking required), nothing left over."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while True:
        at_eof = reader.at_eof()
        try:
            next(at_eof)
        except StopIteration as done:
            if done.value:
                return frames
        parser = Frame.parse(reader.read_exact, mask=True)
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
        else:
            raise AssertionError("the frame is truncated")


def mask_of(frame: bytes) -> bytes:
    """The 4-byte masking key of one client frame."""
    size = frame[1] & 0x7F
    start = 2 + {126: 2, 127: 8}.get(size, 0)
    return frame[start : start + 4]


payloads = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(_EDGES).flatmap(
        lambda n: st.binary(min_size=1, max_size=1).map(lambda b: (b * n)[:n])
    ),
    st.integers(min_value=0, max_value=70_000).flatmap(
        lambda n: st.randoms(use_true_random=False).map(lambda r: r.randbytes(n))
    ),
)


@given(payloads)
def test_frame_parses_as_one_fin_text_frame_with_the_payload(payload: bytes) -> None:
    data = client_text_frame(payload)
    (frame,) = parse_all(data)
    assert frame.opcode is Opcode.TEXT
    assert frame.fin
    assert (frame.rsv1, frame.rsv2, frame.rsv3) == (False, False, False)
    assert bytes(frame.data) == payload
    assert data[1] & 0x80, "client frames must set the MASK bit"


@pytest.mark.parametrize("size", _EDGES)
def test_length_encoding_is_the_shortest_form(size: int) -> None:
    data = client_text_frame(b"x" * size)
    length_field = data[1] & 0x7F
    if size < 126:
        assert length_field == size
        assert len(data) == 2 + 4 + size
    elif size < 65536:
        assert length_field == 126
        assert len(data) == 2 + 2 + 4 + size
    else:
        assert length_field == 127
        assert len(data) == 2 + 8 + 4 + size


def open_server() -> ServerProtocol:
    """A sans-I/O server that has accepted a real opening handshake (so it parses frames)."""
    client = ClientProtocol(parse_uri("ws://127.0.0.1/v1/realtime"))
    client.send_request(client.connect())
    server = ServerProtocol()
    server.receive_data(b"".join(client.data_to_send()))
    (request,) = server.events_received()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    assert server.state is State.OPEN
    return server


@given(st.lists(st.text(max_size=200), min_size=1, max_size=20))
def test_a_server_protocol_reads_consecutive_frames_as_the_messages(texts: list[str]) -> None:
    server = open_server()
    server.receive_data(b"".join(client_text_frame(t.encode()) for t in texts))
    events = server.events_received()
    assert [(e.opcode, e.fin, bytes(e.data).decode()) for e in events] == [
        (Opcode.TEXT, True, t) for t in texts
    ]
    assert server.state is State.OPEN, "the server rejected a frame"


def test_masks_differ_between_frames() -> None:
    masks = [mask_of(client_text_frame(b"{}")) for _ in range(200)]
    # 200 random 32-bit keys collide with probability ~5e-6; a repeat means a reused key.
    assert len(set(masks)) == len(masks)


class CountingRandom:
    """A stand-in for ``os.urandom`` that never repeats a 4-byte key and records its calls."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self._counter = itertools.count(1)

    def __call__(self, n: int) -> bytes:
        self.calls.append(n)
        assert n % 4 == 0
        return b"".join(next(self._counter).to_bytes(4, "big") for _ in range(n // 4))


def test_mask_pool_refills_in_batches_and_never_reuses_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = CountingRandom()
    monkeypatch.setattr(ws, "os", SimpleNamespace(urandom=source))
    pool = ws._MaskPool()
    keys = [pool.take() for _ in range(2 * 1024 + 5)]
    assert all(len(k) == 4 for k in keys)
    # Every key is four of the source's bytes, and no key is handed out twice.
    numbers = [int.from_bytes(k, "big") for k in keys]
    assert len(set(numbers)) == len(numbers)
    assert set(numbers) <= set(range(1, 3 * 1024 + 1))
    assert source.calls == [4096, 4096, 4096]


def test_frames_across_pool_refills_use_fresh_keys_and_stay_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = CountingRandom()
    monkeypatch.setattr(ws, "os", SimpleNamespace(urandom=source))
    monkeypatch.setattr(ws, "_MASKS", ws._MaskPool())
    payloads = [f'{{"n":{n}}}'.encode() for n in range(3000)]
    frames = [client_text_frame(p) for p in payloads]
    numbers = [int.from_bytes(mask_of(f), "big") for f in frames]
    assert len(set(numbers)) == len(numbers) == 3000  # a fresh key per frame
    assert set(numbers) <= set(range(1, 3 * 1024 + 1))
    assert len(source.calls) == 3  # 1,024 keys per refill
    parsed = parse_all(b"".join(frames))
    assert [bytes(f.data) for f in parsed] == payloads
