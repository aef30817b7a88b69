"""Opening a connection: timeouts, garbage, refusals and bad URLs (issue 12, defect 6).

``connect(open_timeout=)`` must bound the TCP/WebSocket open too (it was a fixed 10 s); a
garbage or binary first frame is a refused handshake (``HandshakeError``), never a
``DecodeError``/``RemoteProtocolError`` out of ``connect()``, and after a reconnect it is one
more failed attempt, not the end; a refusal whose body echoes the request must not carry the
key into the exception; a malformed base URL is a ``ConfigurationError``.
"""

from __future__ import annotations

import traceback
from typing import Any

import anyio
import pytest

import realtime_kit
from realtime_kit.client import ReconnectPolicy
from realtime_kit.errors import ConfigurationError, HandshakeError
from realtime_kit.events import RateLimitsUpdatedEvent
from tests.connection._events import until
from tests.reliability._client import attached
from tests.reliability.hostile import (
    AwaitFrame,
    Close,
    HostileServer,
    NoHandshake,
    Refuse,
    Send,
    SendRaw,
    session_created,
    text_frame,
)

pytestmark = pytest.mark.anyio
KEY = "sk-proj-SECRETSECRETSECRET0123456789"
RATE_LIMITS = {
    "type": "rate_limits.updated",
    "event_id": "event_second",
    "rate_limits": [{"name": "requests", "limit": 9, "remaining": 9, "reset_seconds": 1.0}],
}


async def test_open_timeout_bounds_the_websocket_open() -> None:
    # The server takes the TCP connection and never answers the handshake. The timeout that
    # fires must be the caller's (its figure is in the message), not a fixed one inside.
    with (
        HostileServer([NoHandshake()]) as server,
        anyio.fail_after(30),
        pytest.raises(HandshakeError) as raised,
    ):
        async with realtime_kit.connect(
            "gpt-realtime", api_key=KEY, base_url=server.base_url, open_timeout=0.25
        ):
            pass
    assert "timed out after 0.25 s" in str(raised.value)


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(text_frame("this is not JSON"), id="garbage"),
        pytest.param(text_frame('{"type":"session.created","session":[]}'), id="bad-created"),
        pytest.param(text_frame(b"\x00\x01", opcode=0x2), id="binary"),
        pytest.param(text_frame(b"\xff\xfe"), id="bad-utf8"),
    ],
)
async def test_a_garbage_first_frame_is_a_handshake_error(first: bytes) -> None:
    with (
        HostileServer([SendRaw(first)]) as server,
        anyio.fail_after(30),
        pytest.raises(HandshakeError) as raised,
    ):
        async with realtime_kit.connect(
            "gpt-realtime", api_key=KEY, base_url=server.base_url, reconnect=False
        ):
            pass
    assert "session.created" in str(raised.value)


async def test_a_garbage_first_frame_after_a_reconnect_is_retried() -> None:
    first = [Send(session_created()), AwaitFrame(), Close(1011, "internal error")]
    garbage = [SendRaw(text_frame("<html>502 Bad Gateway</html>"))]
    third = [Send(session_created("sess_third")), Send(RATE_LIMITS)]
    policy = ReconnectPolicy(initial_delay=0.001, max_delay=0.001)
    with HostileServer(first, garbage, third) as server:
        async with attached(server, api_key=KEY, reconnect=policy) as conn:
            await until(conn, RateLimitsUpdatedEvent)
            assert conn.session_id == "sess_third"
            assert conn.restores[-1].attempts == 2
        assert server.connections == 3


def _everything_about(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc)), repr(exc), str(exc)]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [repr(current), str(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("auth", ["header", "subprotocol"])
async def test_a_refusal_that_echoes_the_request_does_not_leak_the_key(auth: str) -> None:
    key = KEY if auth == "header" else "ek_EPHEMERALSECRET0123456789abcdef"
    body = f"Unauthorized. Your request was:\n(also seen: Bearer {key} and key={key})\n"
    with HostileServer([Refuse(401, body=body, echo_headers=True)]) as server:
        with anyio.fail_after(30), pytest.raises(HandshakeError) as raised:
            async with realtime_kit.connect(
                "gpt-realtime",
                api_key=key,
                base_url=server.base_url,
                auth=auth,  # type: ignore[arg-type]
                reconnect=False,
            ):
                pass
        assert key in server.seen[0].request.decode()  # it really was echoed back
    error = raised.value
    assert error.status == 401
    text = _everything_about(error)
    assert key not in text
    assert key[:12] not in text
    assert "Unauthorized" in str(error)  # the rest of the body is still there to read
    assert "[redacted]" in str(error)


@pytest.mark.parametrize(
    "base_url",
    ["http://[::1/v1", "http://127.0.0.1:99999/v1", "https:///v1", "http://exa mple.com/v1"],
)
def test_a_malformed_base_url_is_a_configuration_error(base_url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=base_url)
    assert KEY not in str(raised.value)


def test_connect_documents_what_it_raises() -> None:
    doc: Any = realtime_kit.connect.__doc__
    for name in ("ConfigurationError", "HandshakeError", "TransportError", "SessionFatalError"):
        assert name in doc


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_open_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ConfigurationError, match="open_timeout"):
        realtime_kit.connect("gpt-realtime", api_key=KEY, open_timeout=timeout)
