"""The REST side of the Realtime API over httpx: client secrets, WebRTC calls, call control,
and incoming-call webhook verification.

:class:`RealtimeREST` is an async client. Every request carries bearer auth and the optional
organization / project / safety-identifier headers; 429 and 5xx answers and connection failures
are retried with exponential backoff (``Retry-After`` honoured); what finally fails raises an
:class:`~realtime_kit.errors.APIError` subclass carrying the status, the server's error code and
the request id. :func:`verify_webhook` checks a Standard Webhooks signature and returns a typed
event.

Imports: httpx, anyio, pydantic, standardwebhooks, the standard library, ``errors`` and
``_settings``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import httpx
import standardwebhooks
from pydantic import BaseModel, ConfigDict, ValidationError

from realtime_kit._settings import ClientSettings
from realtime_kit.errors import (
    APIAuthenticationError,
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    RateLimitError,
    WebhookVerificationError,
)

__all__ = [
    "CallAnswer",
    "ClientSecret",
    "RealtimeCallIncomingWebhookEvent",
    "RealtimeREST",
    "SipHeader",
    "UnknownWebhookEvent",
    "WebhookEvent",
    "verify_webhook",
]

_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 30.0

SessionConfig = Mapping[str, Any] | BaseModel


@dataclass(frozen=True, slots=True)
class ClientSecret:
    """An ephemeral key (``ek_…``) for a browser or device. ``value`` is kept out of reprs."""

    value: str = field(repr=False)
    expires_at: int
    session: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """The server's side of a WebRTC call: its SDP answer and the new call's id."""

    call_id: str
    sdp: str


class SipHeader(BaseModel):
    """One SIP header of an incoming call."""

    model_config = ConfigDict(extra="allow")
    name: str
    value: str


class RealtimeCallIncomingData(BaseModel):
    """``data`` of a ``realtime.call.incoming`` webhook."""

    model_config = ConfigDict(extra="allow")
    call_id: str
    sip_headers: list[SipHeader] = []
    sip_media_security: str | None = None


class RealtimeCallIncomingWebhookEvent(BaseModel):
    """A SIP call is ringing: accept, reject or refer it by ``data.call_id``."""

    model_config = ConfigDict(extra="allow")
    id: str
    object: Literal["event"] = "event"
    type: Literal["realtime.call.incoming"]
    created_at: int
    data: RealtimeCallIncomingData


class UnknownWebhookEvent(BaseModel):
    """A verified webhook of a type this version does not model; nothing is dropped."""

    model_config = ConfigDict(extra="allow")
    id: str
    type: str
    created_at: int | None = None
    data: dict[str, Any] = {}


WebhookEvent = RealtimeCallIncomingWebhookEvent | UnknownWebhookEvent


def verify_webhook(body: bytes | str, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """Verify a webhook delivery (``webhook-id``, ``-timestamp``, ``-signature``) and parse it.

    Args:
        body: the raw request body, exactly as received.
        headers: the request headers (any case).
        secret: the endpoint's signing secret (``whsec_…``).

    Raises:
        WebhookVerificationError: missing headers, a stale or future timestamp (5 minutes
            tolerance), a bad signature, a malformed secret, or a body that is not an event.
    """
    try:
        verifier = standardwebhooks.Webhook(secret)
        payload = verifier.verify(body, dict(headers))
    except (
        standardwebhooks.WebhookVerificationError,
        standardwebhooks.webhooks.EmptyWebhookSecretError,
        ValueError,
        RuntimeError,
    ) as exc:
        raise WebhookVerificationError(f"webhook did not verify: {exc}") from exc
    try:
        if isinstance(payload, dict) and payload.get("type") == "realtime.call.incoming":
            return RealtimeCallIncomingWebhookEvent.model_validate(payload)
        return UnknownWebhookEvent.model_validate(payload)
    except ValidationError as exc:
        raise WebhookVerificationError(f"verified webhook is not a valid event: {exc}") from exc


def _dump(config: SessionConfig) -> dict[str, Any]:
    if isinstance(config, BaseModel):
        dumped: dict[str, Any] = config.model_dump(mode="json", exclude_unset=True)
        return dumped
    return dict(config)


class RealtimeREST:
    """Async REST client for the Realtime endpoints. Use it as an async context manager.

    Args:
        api_key: standard key or ``ek_`` client secret; default ``OPENAI_API_KEY``.
        base_url: default ``OPENAI_BASE_URL`` or ``https://api.openai.com/v1``.
        organization: optional ``OpenAI-Organization`` header.
        project: optional ``OpenAI-Project`` header.
        safety_identifier: optional ``OpenAI-Safety-Identifier`` header.
        max_retries: extra attempts on 408/409/429/5xx and connection failures.
        backoff: first retry delay in seconds (doubles, with jitter, capped at 8 s).
        timeout: per-request timeout in seconds.
        http_client: bring your own ``httpx.AsyncClient`` (not closed by us).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        safety_identifier: str | None = None,
        max_retries: int = 2,
        backoff: float = 0.5,
        timeout: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = ClientSettings.resolve(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            safety_identifier=safety_identifier,
        )
        if max_retries < 0:
            raise ConfigurationError("max_retries must be >= 0")
        self._max_retries = max_retries
        self._backoff = backoff
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> RealtimeREST:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    # -- client secrets --------------------------------------------------------------------

    async def create_client_secret(
        self, session: SessionConfig | None = None, *, expires_after_seconds: int | None = None
    ) -> ClientSecret:
        """Mint an ephemeral key for a realtime or transcription session.

        ``session`` is the session config (``type`` ``"realtime"`` or ``"transcription"``);
        ``expires_after_seconds`` is 10…7200 (server default 600).
        """
        return await self._secret("/realtime/client_secrets", session, expires_after_seconds)

    async def create_translation_client_secret(
        self, session: SessionConfig, *, expires_after_seconds: int | None = None
    ) -> ClientSecret:
        """Mint an ephemeral key for a translation session (``session.model`` required)."""
        return await self._secret(
            "/realtime/translations/client_secrets", session, expires_after_seconds
        )

    async def _secret(
        self, path: str, session: SessionConfig | None, expires_after_seconds: int | None
    ) -> ClientSecret:
        if expires_after_seconds is not None and not 10 <= expires_after_seconds <= 7200:
            raise ConfigurationError("expires_after_seconds must be within 10…7200")
        body: dict[str, Any] = {}
        if session is not None:
            body["session"] = _dump(session)
        if expires_after_seconds is not None:
            body["expires_after"] = {"anchor": "created_at", "seconds": expires_after_seconds}
        response = await self._request("POST", path, json=body)
        data = _json(response)
        try:
            return ClientSecret(
                value=str(data["value"]),
                expires_at=int(data["expires_at"]),
                session=dict(data.get("session") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad_answer(response, "client secret") from exc

    # -- WebRTC and call control -----------------------------------------------------------

    async def create_call(self, sdp: str, *, session: SessionConfig | None = None) -> CallAnswer:
        """Exchange a WebRTC SDP offer for the server's answer.

        With a standard key the offer goes as multipart (``sdp`` and optional ``session``
        parts); with an ``ek_`` key (or no ``session``) as a raw ``application/sdp`` body.
        """
        if session is not None and self.settings.is_ephemeral:
            raise ConfigurationError(
                "an ephemeral key carries its own session config; do not pass session="
            )
        if session is None:
            response = await self._request(
                "POST",
                "/realtime/calls",
                content=sdp.encode(),
                headers={"Content-Type": "application/sdp"},
            )
        else:
            files = {
                "sdp": (None, sdp.encode(), "application/sdp"),
                "session": (None, json.dumps(_dump(session)).encode(), "application/json"),
            }
            response = await self._request("POST", "/realtime/calls", files=files)
        location = response.headers.get("location", "")
        call_id = location.rstrip("/").rsplit("/", 1)[-1]
        if not call_id:
            raise _bad_answer(response, "call (no Location header)")
        return CallAnswer(call_id=call_id, sdp=response.text)

    async def accept_call(self, call_id: str, session: SessionConfig) -> None:
        """Accept an incoming SIP call with a realtime session config."""
        body = _dump(session)
        body.setdefault("type", "realtime")
        await self._request("POST", f"/realtime/calls/{call_id}/accept", json=body)

    async def reject_call(self, call_id: str, *, status_code: int | None = None) -> None:
        """Reject an incoming call (SIP ``status_code``, server default 603 Decline)."""
        body = {} if status_code is None else {"status_code": status_code}
        await self._request("POST", f"/realtime/calls/{call_id}/reject", json=body)

    async def refer_call(self, call_id: str, target_uri: str) -> None:
        """Transfer a call to ``tel:…`` or ``sip:…``."""
        await self._request(
            "POST", f"/realtime/calls/{call_id}/refer", json={"target_uri": target_uri}
        )

    async def hangup_call(self, call_id: str) -> None:
        """End a SIP or WebRTC call."""
        await self._request("POST", f"/realtime/calls/{call_id}/hangup")

    # -- plumbing --------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        url = self.settings.http_url(path)
        all_headers = {**self.settings.headers(), **(headers or {})}
        attempt = 0
        while True:
            try:
                response = await self._client.request(method, url, headers=all_headers, **kwargs)
            except httpx.TransportError as exc:
                if attempt >= self._max_retries:
                    raise APIConnectionError(
                        f"{method} {path} got no answer: {exc.__class__.__name__}"
                    ) from exc
                await anyio.sleep(self._delay(attempt, None))
                attempt += 1
                continue
            if response.is_success:
                return response
            if response.status_code in _RETRY_STATUSES and attempt < self._max_retries:
                await anyio.sleep(self._delay(attempt, response))
                attempt += 1
                continue
            raise _status_error(response)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = _retry_after_seconds(response)
        if retry_after is not None:
            return retry_after
        base: float = min(self._backoff * 2**attempt, 8.0)
        return base * (0.75 + random.random() / 2)


def _retry_after_seconds(response: httpx.Response | None) -> float | None:
    """A numeric ``Retry-After`` (capped); ``None`` when absent or an HTTP-date."""
    value = response.headers.get("retry-after") if response is not None else None
    if value is None or not value.strip().replace(".", "", 1).isdigit():
        return None
    return min(float(value), _MAX_RETRY_AFTER)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise _bad_answer(response, "JSON body") from exc
    if not isinstance(data, dict):
        raise _bad_answer(response, "JSON object")
    return data


def _bad_answer(response: httpx.Response, what: str) -> APIStatusError:
    return APIStatusError(
        f"unexpected answer, expected a {what}",
        status_code=response.status_code,
        request_id=response.headers.get("x-request-id"),
        body=response.text[:500],
    )


def _status_error(response: httpx.Response) -> APIStatusError:
    request_id = response.headers.get("x-request-id")
    body: object = response.text
    message = response.reason_phrase or "request failed"
    code: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = response.text[:500]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        message = str(error.get("message") or message)
        code = error.get("code") if isinstance(error.get("code"), str) else None
    status = response.status_code
    cls: type[APIStatusError] = APIStatusError
    if status == 429:
        cls = RateLimitError
    elif status in (401, 403):
        cls = APIAuthenticationError
    return cls(message, status_code=status, request_id=request_id, body=body, code=code)
