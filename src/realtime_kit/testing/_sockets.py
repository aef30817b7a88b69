"""The fake server's WebSocket endpoints: handshake checks, auth, and session start.

``/v1/realtime`` takes exactly one selector — ``?model=`` (realtime), ``?intent=transcription``,
``?call_id=`` (sideband) — or none with an ``ek_`` key (the key's session kind wins).
``/v1/realtime/translations?model=`` opens a translation session. Auth is ``Authorization: Bearer``
or the browser sub-protocols ``realtime`` + ``openai-insecure-api-key.<key>``; a refused key is an
HTTP 401 answer to the upgrade. ``OpenAI-Beta`` gets close 4000 ``beta_api_shape_disabled``; an
unknown model an ``error`` event then close 1008.

Imports: anyio, starlette, the standard library, sibling testing modules.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from realtime_kit.errors import LocalProtocolError
from realtime_kit.testing._parts import error_event
from realtime_kit.testing._realtime import RealtimeSession
from realtime_kit.testing._rest import bearer_key
from realtime_kit.testing._state import ClientSecret, ServerState
from realtime_kit.testing._translation import TranslationSession
from realtime_kit.testing._wire import SocketClosedError, Wire
from realtime_kit.testing.config import (
    REALTIME_MODELS,
    TRANSLATION_MODELS,
    default_realtime_session,
    default_transcription_session,
    default_translation_session,
)
from realtime_kit.testing.faults import Faults

__all__ = ["ConnectionHandle", "SocketEndpoints"]

_KEY_PROTOCOL = "openai-insecure-api-key."


class ConnectionHandle:
    """A test's view of one live session socket on the server.

    Attributes:
        number: the connection's number on this server (0, 1, …).
        kind: ``realtime`` | ``transcription`` | ``translation``.
        path / query: what the client connected to.
        call_id: the call of a sideband socket, else None.
        faults: this connection's own fault rules (the server-wide ones apply too).
        ended: set when the session is over.
        close_code / close_reason: how it ended (None while open).
    """

    def __init__(self, number: int, path: str, query: dict[str, str]) -> None:
        self.number = number
        self.path = path
        self.query = query
        self.kind = "unknown"
        self.call_id: str | None = query.get("call_id")
        self.faults = Faults()
        self.ended = threading.Event()
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.session: Any = None
        self.wire: Wire | None = None
        self.portal: Any = None

    def _snapshot(self, fn: Any) -> Any:
        # Read the session on its own loop thread, so a test never sees it mid-update.
        if self.portal is not None and not self.ended.is_set():
            try:
                return self.portal.call(fn)
            except RuntimeError:
                return fn()  # already on the server's loop thread (e.g. inside a brain)
        return fn()

    @property
    def config(self) -> dict[str, Any]:
        """A copy of the session's current effective configuration."""
        session = self.session
        if session is None:
            return {}
        return dict(self._snapshot(lambda: copy.deepcopy(session.config)))

    @property
    def items(self) -> list[dict[str, Any]]:
        """A copy of the conversation (realtime sessions), in order."""
        session = self.session
        if not isinstance(session, RealtimeSession):
            return []
        return list(
            self._snapshot(lambda: copy.deepcopy([session.items[i] for i in session.order]))
        )

    def _call(self, fn: Any, *args: Any) -> None:
        if self.portal is None or self.wire is None:
            raise LocalProtocolError("act on the connection", "its session has not started")
        self.portal.start_task_soon(fn, *args)

    def close_soon(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket with ``code``/``reason`` (thread-safe, returns at once)."""
        assert self.wire is not None
        self._call(self.wire.close, code, reason)

    def drop_soon(self) -> None:
        """Drop the TCP connection with no close frame (the client sees 1006)."""
        assert self.wire is not None
        self._call(self.wire.abort)

    def send_soon(self, event: dict[str, Any]) -> None:
        """Send any server event now (an ``event_id`` is added when missing)."""
        assert self.wire is not None
        self._call(self._send_quietly, event)

    async def _send_quietly(self, event: dict[str, Any]) -> None:
        assert self.wire is not None
        try:
            await self.wire.send(event)
        except SocketClosedError:
            return

    def __repr__(self) -> str:
        return f"ConnectionHandle(number={self.number}, kind={self.kind!r}, path={self.path!r})"


class SocketEndpoints:
    """The WebSocket routes, bound to one server."""

    def __init__(self, state: ServerState, portal_getter: Any) -> None:
        self.state = state
        self._portal = portal_getter

    def _credentials(self, ws: WebSocket) -> tuple[str | None, bool]:
        key = bearer_key(ws.headers)
        protocols = ws.scope.get("subprotocols") or []
        browser = "realtime" in protocols
        if key is None:
            for proto in protocols:
                if proto.startswith(_KEY_PROTOCOL):
                    key = proto[len(_KEY_PROTOCOL) :]
        return key, browser

    async def _authenticate(self, ws: WebSocket) -> tuple[bool, ClientSecret | None, bool]:
        key, browser = self._credentials(ws)
        if key is not None and self.state.key_ok(key):
            return True, None, browser
        secret = self.state.secret(key) if key is not None else None
        if secret is not None:
            return True, secret, browser
        message = (
            "Incorrect API key provided."
            if key is not None
            else "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        code = "invalid_api_key" if key is not None else None
        await ws.send_denial_response(
            JSONResponse(
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "param": None,
                        "code": code,
                    }
                },
                status_code=401,
            )
        )
        return False, None, browser

    def _handle(self, ws: WebSocket) -> ConnectionHandle:
        with self.state.lock:
            handle = ConnectionHandle(
                len(self.state.connections), ws.url.path, dict(ws.query_params)
            )
            self.state.connections.append(handle)
        return handle

    def _wire(self, ws: WebSocket, handle: ConnectionHandle) -> Wire:
        wire = Wire(
            ws,
            conn_id=handle.number,
            ids=self.state.ids,
            clock=self.state.parts.clock,
            faults=[self.state.faults, handle.faults],
            recorder=self.state.recorder,
        )
        handle.wire = wire
        handle.portal = self._portal()
        return wire

    async def _open(
        self, ws: WebSocket
    ) -> tuple[ConnectionHandle, Wire, ClientSecret | None] | None:
        ok, secret, browser = await self._authenticate(ws)
        if not ok:
            return None
        await ws.accept(subprotocol="realtime" if browser else None)
        handle = self._handle(ws)
        wire = self._wire(ws, handle)
        if self.state.recorder is not None:
            self.state.recorder.opened(
                self.state.parts.clock.now(), handle.number, ws.url.path, dict(ws.query_params)
            )
        if ws.headers.get("openai-beta") is not None:
            await wire.close(4000, "beta_api_shape_disabled")
            self._finish(handle, wire)
            return None
        return handle, wire, secret

    def _finish(self, handle: ConnectionHandle, wire: Wire) -> None:
        code, reason = wire.closed or (1000, "")
        handle.close_code = code
        handle.close_reason = reason
        handle.ended.set()

    async def _refuse(
        self, wire: Wire, handle: ConnectionHandle, code: str, message: str, param: str | None
    ) -> None:
        try:
            await wire.send(error_event(code, message, param=param))
        except SocketClosedError:
            self._finish(handle, wire)
            return
        await wire.close(1008, code)
        self._finish(handle, wire)

    async def realtime(self, ws: WebSocket) -> None:
        opened = await self._open(ws)
        if opened is None:
            return
        handle, wire, secret = opened
        query = handle.query
        state = self.state
        expires = int(state.parts.clock.wall()) + 3600
        selectors = [k for k in ("model", "intent", "call_id") if k in query]
        on_webrtc = False
        if "call_id" in query:
            call = state.calls.get(query["call_id"])
            if call is None or call.status in ("rejected", "ended"):
                await self._refuse(
                    wire,
                    handle,
                    "call_not_found",
                    f"Call '{query['call_id']}' not found.",
                    "call_id",
                )
                return
            if call.attach is not None:
                # A live WebRTC call: this socket joins its session instead of starting one.
                try:
                    await call.attach(handle, wire)
                finally:
                    self._finish(handle, wire)
                return
            kind = "realtime"
            config = (
                copy.deepcopy(call.session)
                if call.session
                else default_realtime_session(state.ids.new("sess"), state.default_model, expires)
            )
            on_webrtc = True
        elif query.get("intent") == "transcription":
            kind = "transcription"
            config = default_transcription_session(state.ids.new("sess"), expires)
        elif "intent" in query and query["intent"] != "realtime":
            await self._refuse(
                wire,
                handle,
                "invalid_value",
                f"Invalid value: '{query['intent']}'. Supported values are: 'realtime', "
                "'transcription'.",
                "intent",
            )
            return
        elif "model" in query:
            model = query["model"]
            if model not in REALTIME_MODELS:
                await self._refuse(
                    wire,
                    handle,
                    "invalid_model",
                    f"Model '{model}' is not supported in realtime mode.",
                    "model",
                )
                return
            kind = "realtime"
            config = default_realtime_session(state.ids.new("sess"), model, expires)
        elif secret is not None and secret.kind in ("realtime", "transcription"):
            kind = secret.kind
            config = copy.deepcopy(secret.session)
        else:
            await self._refuse(
                wire,
                handle,
                "missing_required_parameter",
                "Missing required parameter: 'model'.",
                "model",
            )
            return
        # A socket opened with a secret starts from the secret's configuration.
        if secret is not None and selectors and secret.kind == kind and "call_id" not in query:
            config = {**copy.deepcopy(secret.session), "expires_at": expires}
        handle.kind = kind
        session = RealtimeSession(
            wire,
            state.parts,
            kind=kind,
            config=config,
            faults=[state.faults, handle.faults],
            on_webrtc=on_webrtc,
        )
        handle.session = session
        await self._serve(handle, wire, session)

    async def _serve(
        self, handle: ConnectionHandle, wire: Wire, session: RealtimeSession | TranslationSession
    ) -> None:
        try:
            async with wire.reading(on_closed=session.end):
                await session.run()
        except Exception as exc:  # noqa: BLE001 - the last line of defence, recorded
            # Sessions answer their own failures and go on; reaching here is a bug in the fake.
            # End the socket the way a server does on an internal error, and say so.
            self.state.parts.internal_errors.record(f"serving a {handle.kind} session", exc)
            await wire.close(1011, "internal error")
        finally:
            self._finish(handle, wire)

    async def translation(self, ws: WebSocket) -> None:
        opened = await self._open(ws)
        if opened is None:
            return
        handle, wire, secret = opened
        state = self.state
        if "intent" in handle.query:
            await self._refuse(
                wire, handle, "unknown_parameter", "Unknown parameter: 'intent'.", "intent"
            )
            return
        model = handle.query.get("model")
        if model is None and secret is not None and secret.kind == "translation":
            model = secret.session.get("model")
        if model not in TRANSLATION_MODELS:
            await self._refuse(
                wire,
                handle,
                "invalid_model" if model else "missing_required_parameter",
                f"Model '{model}' is not supported for translation."
                if model
                else "Missing required parameter: 'model'.",
                "model",
            )
            return
        expires = int(state.parts.clock.wall()) + 3600
        config = default_translation_session(state.ids.new("sess"), str(model), expires)
        if secret is not None and secret.kind == "translation":
            config = {**copy.deepcopy(secret.session), "expires_at": expires}
        handle.kind = "translation"
        session = TranslationSession(wire, state.parts, config=config)
        handle.session = session
        await self._serve(handle, wire, session)
