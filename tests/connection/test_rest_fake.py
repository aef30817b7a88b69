"""RealtimeREST and sideband sockets against the fake server, on asyncio and trio."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import realtime_kit
from realtime_kit.errors import APIAuthenticationError, ConfigurationError, RateLimitError
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ToneSynthesizer

pytestmark = pytest.mark.anyio
KEY = "sk-test-key"


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    async with FakeRealtimeServer(clock=FakeClock(), seed=11, synthesizer=ToneSynthesizer()) as srv:
        yield srv


async def test_ephemeral_key_opens_a_session_with_its_config(server: FakeRealtimeServer) -> None:
    async with realtime_kit.RealtimeREST(api_key=KEY, base_url=server.base_url) as rest:
        secret = await rest.create_client_secret(
            {"type": "realtime", "model": "gpt-realtime", "instructions": "From the secret."},
            expires_after_seconds=600,
        )
    assert secret.value.startswith("ek_")
    assert secret.value not in repr(secret)
    async with realtime_kit.connect(
        "gpt-realtime", api_key=secret.value, base_url=server.base_url
    ) as conn:
        assert conn.session is not None
        assert conn.session["instructions"] == "From the secret."


async def test_rest_retries_then_reports_typed_errors(server: FakeRealtimeServer) -> None:
    server.faults.rest_error(429, path_contains="client_secrets", times=1)
    async with realtime_kit.RealtimeREST(
        api_key=KEY, base_url=server.base_url, backoff=0.0
    ) as rest:
        secret = await rest.create_client_secret({"type": "realtime", "model": "gpt-realtime"})
        assert secret.value.startswith("ek_")
        server.faults.rest_error(429, path_contains="client_secrets", times=5)
        with pytest.raises(RateLimitError) as info:
            await rest.create_client_secret()
        assert info.value.code == "rate_limit_exceeded"
        server.faults.rest_error(401, path_contains="client_secrets", times=1)
        with pytest.raises(APIAuthenticationError):
            await rest.create_client_secret()


async def test_call_control_and_sideband(server: FakeRealtimeServer) -> None:
    incoming = server.create_call()
    declined = server.create_call()
    async with realtime_kit.RealtimeREST(api_key=KEY, base_url=server.base_url) as rest:
        await rest.accept_call(incoming, {"model": "gpt-realtime", "instructions": "Hotline."})
        await rest.reject_call(declined, status_code=486)
        async with realtime_kit.connect(
            call_id=incoming, api_key=KEY, base_url=server.base_url
        ) as conn:
            assert conn.kind == "realtime"
            assert conn.session is not None
            assert conn.session["instructions"] == "Hotline."
        await rest.refer_call(incoming, "tel:+14155550123")
        await rest.hangup_call(incoming)
    assert server.call(incoming).refers == ["tel:+14155550123"]
    assert server.call(incoming).status == "ended"
    assert server.call(declined).status == "rejected"
    assert server.call(declined).reject_status == 486


async def test_subprotocol_auth_carries_an_ephemeral_key_the_browser_way(
    server: FakeRealtimeServer,
) -> None:
    async with realtime_kit.RealtimeREST(api_key=KEY, base_url=server.base_url) as rest:
        secret = await rest.create_client_secret(
            {"type": "realtime", "model": "gpt-realtime", "instructions": "Browser."}
        )
    async with realtime_kit.connect(
        "gpt-realtime", api_key=secret.value, base_url=server.base_url, auth="subprotocol"
    ) as conn:
        # The server picked the browser sub-protocol: the key came that way, not as a header.
        assert getattr(conn.transport, "subprotocol", None) == "realtime"
        assert conn.session is not None
        assert conn.session["instructions"] == "Browser."


async def test_subprotocol_auth_refuses_a_standard_key_before_connecting(
    server: FakeRealtimeServer,
) -> None:
    with pytest.raises(ConfigurationError, match="ephemeral") as info:
        async with realtime_kit.connect(
            "gpt-realtime", api_key=KEY, base_url=server.base_url, auth="subprotocol"
        ):
            raise AssertionError("connected with a standard key in a sub-protocol")
    assert KEY not in str(info.value)
    assert server.connections == []
