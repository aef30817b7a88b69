"""The REST client against respx-mocked endpoints, and webhook verification."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import httpx
import pytest
import respx
import standardwebhooks

from realtime_kit.errors import (
    APIAuthenticationError,
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    RateLimitError,
    WebhookVerificationError,
)
from realtime_kit.rest import (
    RealtimeCallIncomingWebhookEvent,
    RealtimeREST,
    UnknownWebhookEvent,
    verify_webhook,
)

pytestmark = pytest.mark.anyio
BASE = "http://api.test/v1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _client(**kwargs: object) -> RealtimeREST:
    return RealtimeREST(api_key="sk-secret", base_url=BASE, backoff=0.0, **kwargs)  # type: ignore[arg-type]


@respx.mock
async def test_client_secret_sends_config_and_hides_value() -> None:
    route = respx.post(f"{BASE}/realtime/client_secrets").respond(
        200, json={"value": "ek_abc", "expires_at": 1900000000, "session": {"id": "sess_1"}}
    )
    async with _client(project="proj_1", safety_identifier="user-hash") as rest:
        secret = await rest.create_client_secret(
            {"type": "realtime", "model": "gpt-realtime-2"}, expires_after_seconds=600
        )
    assert secret.value == "ek_abc"
    assert "ek_abc" not in repr(secret)
    assert secret.session == {"id": "sess_1"}
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer sk-secret"
    assert request.headers["openai-project"] == "proj_1"
    assert request.headers["openai-safety-identifier"] == "user-hash"
    assert "openai-beta" not in request.headers
    assert json.loads(request.content) == {
        "session": {"type": "realtime", "model": "gpt-realtime-2"},
        "expires_after": {"anchor": "created_at", "seconds": 600},
    }


@respx.mock
async def test_translation_secret_path() -> None:
    route = respx.post(f"{BASE}/realtime/translations/client_secrets").respond(
        200, json={"value": "ek_t", "expires_at": 1, "session": {"type": "translation"}}
    )
    async with _client() as rest:
        secret = await rest.create_translation_client_secret({"model": "gpt-realtime-translate"})
    assert secret.session["type"] == "translation"
    assert json.loads(route.calls.last.request.content)["session"]["model"] == (
        "gpt-realtime-translate"
    )


async def test_secret_ttl_is_validated() -> None:
    async with _client() as rest:
        with pytest.raises(ConfigurationError):
            await rest.create_client_secret(expires_after_seconds=5)


@respx.mock
async def test_retries_429_then_succeeds() -> None:
    route = respx.post(f"{BASE}/realtime/calls/rtc_1/hangup")
    route.side_effect = [
        httpx.Response(429, headers={"retry-after": "0"}),
        httpx.Response(503),
        httpx.Response(200),
    ]
    async with _client() as rest:
        await rest.hangup_call("rtc_1")
    assert route.call_count == 3


@respx.mock
async def test_gives_up_with_typed_error_and_request_id() -> None:
    respx.post(f"{BASE}/realtime/calls/rtc_1/hangup").respond(
        429,
        headers={"x-request-id": "req_42"},
        json={"error": {"message": "slow down", "code": "rate_limit_exceeded"}},
    )
    async with _client(max_retries=1) as rest:
        with pytest.raises(RateLimitError) as info:
            await rest.hangup_call("rtc_1")
    assert info.value.request_id == "req_42"
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.status_code == 429
    assert "slow down" in str(info.value)


@respx.mock
async def test_auth_error_is_not_retried() -> None:
    route = respx.post(f"{BASE}/realtime/calls/rtc_1/reject").respond(401, json={"error": {}})
    async with _client() as rest:
        with pytest.raises(APIAuthenticationError):
            await rest.reject_call("rtc_1", status_code=486)
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content) == {"status_code": 486}


@respx.mock
async def test_connection_failure_is_api_connection_error() -> None:
    route = respx.post(f"{BASE}/realtime/calls/rtc_1/hangup")
    route.side_effect = httpx.ConnectError("refused")
    async with _client(max_retries=2) as rest:
        with pytest.raises(APIConnectionError):
            await rest.hangup_call("rtc_1")
    assert route.call_count == 3


@respx.mock
async def test_bad_success_body_is_typed() -> None:
    respx.post(f"{BASE}/realtime/client_secrets").respond(200, text="not json")
    async with _client() as rest:
        with pytest.raises(APIStatusError):
            await rest.create_client_secret()


@respx.mock
async def test_create_call_multipart_form() -> None:
    route = respx.post(f"{BASE}/realtime/calls").respond(
        201, text="v=0 answer", headers={"Location": "/v1/realtime/calls/rtc_9"}
    )
    async with _client() as rest:
        answer = await rest.create_call("v=0 offer", session={"type": "realtime"})
    assert answer.call_id == "rtc_9"
    assert answer.sdp == "v=0 answer"
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.content
    assert b'name="sdp"' in body
    assert b"v=0 offer" in body
    assert b'name="session"' in body
    assert b'{"type": "realtime"}' in body


@respx.mock
async def test_create_call_raw_sdp_with_ephemeral_key() -> None:
    route = respx.post(f"{BASE}/realtime/calls").respond(
        201, text="answer", headers={"Location": "/v1/realtime/calls/rtc_7"}
    )
    async with RealtimeREST(api_key="ek_123", base_url=BASE) as rest:
        answer = await rest.create_call("offer")
        with pytest.raises(ConfigurationError):
            await rest.create_call("offer", session={"type": "realtime"})
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/sdp"
    assert request.content == b"offer"
    assert answer.call_id == "rtc_7"


@respx.mock
async def test_accept_and_refer_bodies() -> None:
    accept = respx.post(f"{BASE}/realtime/calls/rtc_1/accept").respond(200)
    refer = respx.post(f"{BASE}/realtime/calls/rtc_1/refer").respond(200)
    async with _client() as rest:
        await rest.accept_call("rtc_1", {"model": "gpt-realtime-2"})
        await rest.refer_call("rtc_1", "tel:+14155550123")
    assert json.loads(accept.calls.last.request.content) == {
        "model": "gpt-realtime-2",
        "type": "realtime",
    }
    assert json.loads(refer.calls.last.request.content) == {"target_uri": "tel:+14155550123"}


def test_missing_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        RealtimeREST()


SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
INCOMING = {
    "id": "evt_1",
    "object": "event",
    "type": "realtime.call.incoming",
    "created_at": 1,
    "data": {
        "call_id": "rtc_abc",
        "sip_headers": [{"name": "From", "value": "sip:+1@x"}],
        "sip_media_security": "srtp",
    },
}


def _signed(payload: dict[str, object], *, at: float | None = None) -> tuple[str, dict[str, str]]:
    body = json.dumps(payload)
    when = datetime.fromtimestamp(at if at is not None else time.time(), tz=UTC)
    signature = standardwebhooks.Webhook(SECRET).sign("msg_1", when, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }
    return body, headers


def test_webhook_verifies_into_typed_event() -> None:
    body, headers = _signed(INCOMING)
    event = verify_webhook(body.encode(), headers, SECRET)
    assert isinstance(event, RealtimeCallIncomingWebhookEvent)
    assert event.data.call_id == "rtc_abc"
    assert event.data.sip_headers[0].name == "From"
    assert event.data.sip_media_security == "srtp"


def test_webhook_unknown_type_is_kept() -> None:
    body, headers = _signed({"id": "evt_2", "type": "live.transport.incoming", "data": {"x": 1}})
    event = verify_webhook(body, headers, SECRET)
    assert isinstance(event, UnknownWebhookEvent)
    assert event.type == "live.transport.incoming"
    assert event.data == {"x": 1}


@pytest.mark.parametrize(
    "tamper",
    ["body", "signature", "missing", "stale", "secret"],
)
def test_webhook_rejections(tamper: str) -> None:
    body, headers = _signed(INCOMING, at=time.time() - 3600 if tamper == "stale" else None)
    secret = SECRET
    if tamper == "body":
        body = body.replace("rtc_abc", "rtc_evil")
    elif tamper == "signature":
        headers["webhook-signature"] = "v1,AAAA"
    elif tamper == "missing":
        del headers["webhook-id"]
    elif tamper == "secret":
        secret = "whsec_!!notbase64"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, secret)


def test_webhook_verified_but_malformed_event() -> None:
    body, headers = _signed({"id": "evt_3", "type": "realtime.call.incoming", "data": {}})
    with pytest.raises(WebhookVerificationError, match="not a valid event"):
        verify_webhook(body, headers, SECRET)
