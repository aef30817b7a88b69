"""The fake server's REST endpoints: client secrets (both kinds), calls and call control.

Errors use the API's usual body ``{"error": {message, type, param, code}}``; REST faults from
:class:`~realtime_kit.testing.faults.Faults` are applied before anything else.

Imports: starlette, the standard library, sibling testing modules.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from realtime_kit.testing._state import AnswerError, CallRecord, ClientSecret, ServerState
from realtime_kit.testing.config import (
    REALTIME_MODELS,
    TRANSLATION_MODELS,
    ConfigError,
    default_realtime_session,
    default_transcription_session,
    default_translation_session,
    merge_update,
    validate_update,
)
from realtime_kit.testing.faults import rest_error_body

__all__ = ["RestApi", "bearer_key"]


def _error(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> Response:
    err_type = "invalid_request_error"
    return JSONResponse(
        {"error": {"message": message, "type": err_type, "param": param, "code": code}},
        status_code=status,
    )


def bearer_key(headers: Any) -> str | None:
    """The key from ``Authorization: Bearer …``, or None."""
    value = headers.get("authorization")
    if not value or not value.lower().startswith("bearer "):
        return None
    return str(value[7:].strip())


class RestApi:
    """Request handlers bound to one server's state."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def _auth(self, request: Request, *, allow_ephemeral: bool) -> Response | str:
        fault = None
        for faults in (self.state.faults,):
            fault = faults.take_rest_fault(request.url.path)
        if fault is not None:
            return JSONResponse(rest_error_body(fault), status_code=fault.status)
        key = bearer_key(request.headers)
        if key is None:
            return _error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if self.state.key_ok(key):
            return key
        if allow_ephemeral and self.state.secret(key) is not None:
            return key
        return _error(401, "Incorrect API key provided.", "invalid_api_key")

    async def _json(self, request: Request) -> dict[str, Any] | Response:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.", "invalid_json")
        if not isinstance(body, dict):
            return _error(400, "The request body must be a JSON object.", "invalid_type")
        return body

    def _expiry(self, body: dict[str, Any]) -> int | Response:
        after = body.get("expires_after") or {}
        if not isinstance(after, dict):
            return _error(400, "Invalid type for 'expires_after'.", "invalid_type", "expires_after")
        if after.get("anchor", "created_at") != "created_at":
            return _error(
                400,
                f"Invalid value: '{after.get('anchor')}'. Supported values are: 'created_at'.",
                "invalid_value",
                "expires_after.anchor",
            )
        seconds = after.get("seconds", 600)
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 10 <= seconds <= 7200:
            return _error(
                400,
                "expires_after.seconds must be an integer between 10 and 7200.",
                "invalid_value",
                "expires_after.seconds",
            )
        return int(self.state.parts.clock.wall()) + seconds

    def _mint(self, kind: str, session: dict[str, Any], expires_at: int) -> Response:
        value = self.state.ids.new("ek", 32)
        with self.state.lock:
            self.state.secrets[value] = ClientSecret(value, expires_at, kind, session)
        return JSONResponse({"value": value, "expires_at": expires_at, "session": session})

    async def client_secrets(self, request: Request) -> Response:
        auth = self._auth(request, allow_ephemeral=False)
        if isinstance(auth, Response):
            return auth
        body = await self._json(request)
        if isinstance(body, Response):
            return body
        expires_at = self._expiry(body)
        if isinstance(expires_at, Response):
            return expires_at
        requested = body.get("session") or {"type": "realtime"}
        kind = requested.get("type") if isinstance(requested, dict) else None
        sid = self.state.ids.new("sess")
        session_expiry = int(self.state.parts.clock.wall()) + 3600
        if kind == "realtime":
            model = requested.get("model", self.state.default_model)
            if model not in REALTIME_MODELS:
                return _error(400, f"Invalid value: '{model}'.", "invalid_value", "session.model")
            base = default_realtime_session(sid, model, session_expiry)
        elif kind == "transcription":
            base = default_transcription_session(sid, session_expiry)
        else:
            return _error(
                400,
                f"Invalid value: '{kind}'. Supported values are: 'realtime', 'transcription'.",
                "invalid_value",
                "session.type",
            )
        try:
            validate_update(kind, requested, current=base)
        except ConfigError as exc:
            return _error(400, exc.message, exc.code, exc.param)
        return self._mint(kind, merge_update(base, requested), expires_at)

    async def translation_client_secrets(self, request: Request) -> Response:
        auth = self._auth(request, allow_ephemeral=False)
        if isinstance(auth, Response):
            return auth
        body = await self._json(request)
        if isinstance(body, Response):
            return body
        expires_at = self._expiry(body)
        if isinstance(expires_at, Response):
            return expires_at
        requested = body.get("session")
        if not isinstance(requested, dict) or "model" not in requested:
            return _error(
                400,
                "Missing required parameter: 'session.model'.",
                "missing_required_parameter",
                "session.model",
            )
        if requested["model"] not in TRANSLATION_MODELS:
            return _error(
                400, f"Invalid value: '{requested['model']}'.", "invalid_value", "session.model"
            )
        base = default_translation_session(
            self.state.ids.new("sess"),
            requested["model"],
            int(self.state.parts.clock.wall()) + 3600,
        )
        try:
            validate_update("translation", requested, current=base)
        except ConfigError as exc:
            return _error(400, exc.message, exc.code, exc.param)
        return self._mint("translation", merge_update(base, requested), expires_at)

    async def create_call(self, request: Request) -> Response:
        auth = self._auth(request, allow_ephemeral=True)
        if isinstance(auth, Response):
            return auth
        content_type = request.headers.get("content-type", "")
        raw = await request.body()
        session: dict[str, Any] | None = None
        ephemeral = self.state.secret(auth) is not None
        if content_type.startswith("multipart/form-data"):
            parts = _multipart(content_type, raw)
            offer = parts.get("sdp")
            if "session" in parts:
                try:
                    loaded = json.loads(parts["session"])
                except ValueError:
                    return _error(400, "The 'session' part is not JSON.", "invalid_json", "session")
                session = loaded if isinstance(loaded, dict) else None
        elif content_type.startswith("application/sdp"):
            offer = raw.decode("utf-8", errors="replace")
            secret = self.state.secret(auth)
            session = secret.session if secret is not None else None
        else:
            return _error(
                400,
                "Send the SDP offer as application/sdp or multipart/form-data.",
                "invalid_value",
            )
        if not offer:
            return _error(
                400, "Missing required parameter: 'sdp'.", "missing_required_parameter", "sdp"
            )
        if self.state.answerer is None:
            return _error(
                501,
                "This fake server has no WebRTC media stack; use FakeRealtimeServer.create_call() "
                "to simulate an incoming call for call-control and sideband tests.",
                "webrtc_unavailable",
            )
        if content_type.startswith("multipart/form-data") and ephemeral:
            return _error(
                400,
                "An ephemeral key carries its session configuration: send the SDP offer as "
                "application/sdp.",
                "invalid_request",
            )
        if content_type.startswith("application/sdp") and not ephemeral:
            return _error(
                400,
                "With a standard API key, send multipart/form-data with an 'sdp' part and a "
                "'session' part.",
                "missing_required_parameter",
                "session",
            )
        call = CallRecord(self.state.ids.new("rtc"), status="accepted", session=session)
        call.offer_sdp = offer
        call.from_secret = ephemeral
        try:
            answer = await self.state.answerer(offer, call)
        except AnswerError as exc:
            return _error(exc.status, exc.message, exc.code, exc.param)
        with self.state.lock:
            self.state.calls[call.id] = call
        return Response(
            answer,
            status_code=201,
            media_type="application/sdp",
            headers={"Location": f"/v1/realtime/calls/{call.id}"},
        )

    async def call_action(self, request: Request) -> Response:
        auth = self._auth(request, allow_ephemeral=False)
        if isinstance(auth, Response):
            return auth
        call_id = request.path_params["call_id"]
        action = request.path_params["action"]
        with self.state.lock:
            call = self.state.calls.get(call_id)
        if call is None:
            return _error(404, f"Call '{call_id}' not found.", "call_not_found", "call_id")
        body = await self._json(request)
        if isinstance(body, Response):
            return body
        if action == "accept":
            if call.status != "incoming":
                return _error(
                    400, f"Call '{call_id}' is already {call.status}.", "invalid_call_state"
                )
            base = default_realtime_session(
                self.state.ids.new("sess"),
                str(body.get("model", self.state.default_model)),
                int(self.state.parts.clock.wall()) + 3600,
            )
            try:
                validate_update("realtime", body, current=base)
            except ConfigError as exc:
                return _error(400, exc.message, exc.code, exc.param)
            if base["model"] not in REALTIME_MODELS:
                return _error(400, f"Invalid value: '{base['model']}'.", "invalid_value", "model")
            call.session = merge_update(base, body)
            call.status = "accepted"
        elif action == "reject":
            if call.status != "incoming":
                return _error(
                    400, f"Call '{call_id}' is already {call.status}.", "invalid_call_state"
                )
            code = body.get("status_code", 603)
            if isinstance(code, bool) or not isinstance(code, int):
                return _error(400, "status_code must be an integer.", "invalid_type", "status_code")
            call.status = "rejected"
            call.reject_status = code
        elif action == "refer":
            target = body.get("target_uri")
            if not isinstance(target, str) or not target.startswith(("tel:", "sip:", "sips:")):
                return _error(
                    400, "target_uri must be a tel: or sip: URI.", "invalid_value", "target_uri"
                )
            call.refers.append(target)
        elif action == "hangup":
            call.status = "ended"
            for handle in list(self.state.connections):
                if handle.call_id == call_id and handle.wire is not None:
                    await handle.wire.close(1000, "call ended")
        else:
            return _error(404, f"Unknown call action '{action}'.", "not_found")
        return Response(status_code=200)


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    parts: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = payload.decode("utf-8", errors="replace")
    return parts
