"""``realtime_kit.connect()``: the one factory that opens a :class:`RealtimeConnection`.

It picks the target from the arguments (voice agent, transcription, translation, sideband),
resolves credentials, picks the transport (WebSocket unless told otherwise) and owns the task
group unless the caller brings one.

Imports: anyio, pydantic, the standard library, ``connection``, ``reconnect``, ``transports``,
``protocol``, ``errors`` and ``_settings``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Literal

import anyio
from anyio.abc import TaskGroup
from pydantic import BaseModel

from realtime_kit._settings import ClientSettings
from realtime_kit._sync import on_asyncio
from realtime_kit.client.connection import RealtimeConnection, SessionTarget, TransportOpener
from realtime_kit.client.reconnect import ReconnectPolicy, RolloverPolicy
from realtime_kit.cost import CostMeter
from realtime_kit.errors import ConfigurationError
from realtime_kit.protocol import SessionKind, TranslationTimeline
from realtime_kit.transports._webrtc_options import WebRTCConfig
from realtime_kit.transports.base import Transport
from realtime_kit.transports.websocket import WebSocketTransport

__all__ = ["ConnectContext", "connect"]


def _target(
    model: str | None, intent: str | None, translation: bool, call_id: str | None
) -> SessionTarget:
    chosen = [name for name, v in (("model", model), ("intent", intent), ("call_id", call_id)) if v]
    if translation:
        if intent or call_id:
            raise ConfigurationError("translation sessions take only model= (no intent, call_id)")
        return SessionTarget(
            "translation", "/realtime/translations", {"model": model or "gpt-realtime-translate"}
        )
    if len(chosen) != 1:
        raise ConfigurationError(
            "pass exactly one of model= (voice agent), intent='transcription', or call_id= "
            f"(sideband); got {chosen or 'none'}"
        )
    if intent is not None:
        if intent not in ("transcription", "realtime"):
            raise ConfigurationError(
                f"intent must be 'transcription' or 'realtime', not {intent!r}"
            )
        kind: SessionKind = "transcription" if intent == "transcription" else "realtime"
        return SessionTarget(kind, "/realtime", {"intent": intent})
    if call_id is not None:
        return SessionTarget("realtime", "/realtime", {"call_id": call_id})
    assert model is not None
    return SessionTarget("realtime", "/realtime", {"model": model})


class ConnectContext:
    """What :func:`connect` returns: ``async with`` it to get the :class:`RealtimeConnection`."""

    def __init__(
        self,
        conn: RealtimeConnection,
        task_group: TaskGroup | None,
        session: Mapping[str, Any] | BaseModel | None,
    ) -> None:
        self._conn = conn
        self._given_tg = task_group
        self._own_tg: TaskGroup | None = None
        self._session = session

    async def __aenter__(self) -> RealtimeConnection:
        tg = self._given_tg
        if tg is None and not on_asyncio():
            # trio wants helper tasks in a nursery; on asyncio they are plain tasks the
            # connection tracks itself (an idle connection then costs no task group at all).
            self._own_tg = tg = anyio.create_task_group()
            await tg.__aenter__()
        try:
            await self._conn._start(tg, self._session)
        except BaseException:
            await self._conn.aclose()
            self._conn._release()
            if self._own_tg is not None:
                self._own_tg.cancel_scope.cancel()
                await self._own_tg.__aexit__(None, None, None)
            raise
        return self._conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        conn = self._conn
        unreported = conn._error if not conn._error_seen else None
        await conn.aclose()
        conn._release()
        if self._own_tg is not None:
            try:
                await self._own_tg.__aexit__(exc_type, exc, tb)
            except BaseExceptionGroup as group:
                # The block's own exception comes back wrapped; let it propagate as itself.
                if len(group.exceptions) == 1:
                    leaf = group.exceptions[0]
                    if leaf is exc:
                        return None
                    raise leaf from None
                raise
        if exc is None and unreported is not None:
            raise unreported
        return None


def _websocket_opener(open_timeout: float) -> TransportOpener:
    """Open the WebSocket with credentials in headers, within ``open_timeout``."""

    async def open_websocket(url: str, headers: Mapping[str, str]) -> Transport:
        return await WebSocketTransport.connect(url, headers=headers, open_timeout=open_timeout)

    return open_websocket


def _browser_opener(settings: ClientSettings, open_timeout: float) -> TransportOpener:
    """Open the WebSocket with credentials in sub-protocols, the way a browser must."""
    protocols = settings.subprotocols()

    async def open_websocket(url: str, headers: Mapping[str, str]) -> Transport:
        del headers  # they would carry the key; browser_headers() has the rest
        return await WebSocketTransport.connect(
            url,
            headers=settings.browser_headers(),
            subprotocols=protocols,
            open_timeout=open_timeout,
        )

    return open_websocket


def connect(
    model: str | None = None,
    *,
    intent: Literal["transcription", "realtime"] | None = None,
    translation: bool = False,
    call_id: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    organization: str | None = None,
    project: str | None = None,
    safety_identifier: str | None = None,
    session: Mapping[str, Any] | BaseModel | None = None,
    reconnect: ReconnectPolicy | bool = True,
    rollover: RolloverPolicy | bool = False,
    task_group: TaskGroup | None = None,
    queue_size: int = 256,
    event_buffer: int = 4096,
    open_timeout: float = 15.0,
    transport: Literal["websocket", "webrtc"] | TransportOpener | None = None,
    webrtc: WebRTCConfig | None = None,
    clock: Callable[[], float] = time.time,
    timeline: TranslationTimeline | None = None,
    auth: Literal["header", "subprotocol"] = "header",
    meter: CostMeter | bool | None = None,
) -> ConnectContext:
    """Open a Realtime session: ``async with realtime_kit.connect(...) as conn:``.

    Exactly one target: ``model=`` (voice agent), ``intent="transcription"``,
    ``translation=True`` (with an optional ``model=``, default ``gpt-realtime-translate``), or
    ``call_id=`` (a sideband socket on a WebRTC/SIP call). Entering the block waits for
    ``session.created`` (and, with ``session=``, for the server to confirm that config).

    Args:
        api_key: standard key or ephemeral ``ek_`` secret; default ``OPENAI_API_KEY``.
        base_url: e.g. ``https://api.openai.com/v1``; default ``OPENAI_BASE_URL``.
        organization: sent as the ``OpenAI-Organization`` header.
        project: sent as the ``OpenAI-Project`` header.
        safety_identifier: sent as the ``OpenAI-Safety-Identifier`` header.
        session: config sent as ``session.update`` right after ``session.created``.
        reconnect: a :class:`ReconnectPolicy`, ``True`` for the default one, ``False`` for none.
        rollover: a :class:`RolloverPolicy`, ``True`` for the default (prepare 5 minutes before
            the cap), ``False`` for none.
        task_group: run the background tasks in this task group (default: one owned by the
            ``async with`` block).
        queue_size: outbound events buffered before :meth:`RealtimeConnection.send` waits.
        event_buffer: events buffered for ``async for`` before reading pauses.
        open_timeout: seconds for the whole opening (TCP, TLS, handshake, ``session.created``),
            for the first session and for every reconnect.
        transport: ``"websocket"`` (the default), ``"webrtc"`` (audio on media tracks, events
            on the ``oai-events`` data channel; needs the ``webrtc`` extra and asyncio), or a
            custom transport opener.
        webrtc: settings of the WebRTC transport (ICE servers, audio rate, timeouts).
        clock: wall-clock seconds, compared with ``expires_at`` for rollover.
        timeline: translation sessions: the :class:`~realtime_kit.protocol.TranslationTimeline`
            that carries reconnects (default: 5 s of retained input, no overlap).
        auth: ``"header"`` (``Authorization: Bearer``), or ``"subprotocol"``: the browser way,
            credentials in WebSocket sub-protocols, for an ephemeral ``ek_`` key only (for
            gateways that pass sub-protocols but strip headers, and to test browser set-ups).
        meter: a :class:`~realtime_kit.cost.CostMeter` that sees every event written and
            received, across reconnects (``conn.meter``); ``True`` for a new, non-strict one
            (models it has no price for show as unpriced). A strict meter's
            :class:`~realtime_kit.errors.UnpricedModelError`, or a budget's hard stop with
            ``raise_on_hard_stop``, ends the connection with that error. The high-level objects
            (Conversation, Transcriber, Translator) keep their own meter: leave this out there.

    Raises:
        ConfigurationError: bad or missing arguments (no API key, two targets, a malformed
            ``base_url``); with ``session=``, a config the server refused.
        HandshakeError: refused (credentials redacted from the quoted body), timed out, or
            first frames that are not a ``session.created``.
        TransportError: the connection could not be opened (DNS, TCP, TLS, a dropped socket).
        SessionFatalError: the server refused the session (bad key, no quota).
    """
    target = _target(model, intent, translation, call_id)
    settings = ClientSettings.resolve(
        api_key=api_key,
        base_url=base_url,
        organization=organization,
        project=project,
        safety_identifier=safety_identifier,
    )
    if queue_size < 1 or event_buffer < 1:
        raise ConfigurationError("queue_size and event_buffer must be at least 1")
    if not open_timeout > 0:
        raise ConfigurationError(
            f"open_timeout must be a positive number of seconds, not {open_timeout!r}"
        )
    if webrtc is not None and transport != "webrtc":
        raise ConfigurationError("webrtc= settings apply to transport='webrtc' only")
    builtin_websocket = transport is None or transport == "websocket"
    if transport == "webrtc":
        if auth != "header":
            raise ConfigurationError("auth= applies to the WebSocket transport only")
        from realtime_kit.client._webrtc_open import webrtc_opener

        opener = webrtc_opener(settings, target, webrtc)
    elif transport is None or transport == "websocket":
        opener = _websocket_opener(open_timeout)
    elif isinstance(transport, str):
        raise ConfigurationError(
            f"transport must be 'websocket', 'webrtc' or an opener, not {transport!r}"
        )
    else:
        opener = transport
    if auth == "subprotocol":
        if not builtin_websocket:
            raise ConfigurationError("auth='subprotocol' applies to the built-in WebSocket only")
        opener = _browser_opener(settings, open_timeout)
    elif auth != "header":
        raise ConfigurationError(f"auth must be 'header' or 'subprotocol', not {auth!r}")
    if meter is True:
        meter = CostMeter(strict=False)
    elif meter is False:
        meter = None
    elif meter is not None and not isinstance(meter, CostMeter):
        raise ConfigurationError(f"meter must be a CostMeter or True, not {type(meter).__name__}")
    conn = RealtimeConnection(
        target=target,
        settings=settings,
        opener=opener,
        reconnect=ReconnectPolicy() if reconnect is True else reconnect or None,
        rollover=RolloverPolicy() if rollover is True else rollover or None,
        queue_size=queue_size,
        event_buffer=event_buffer,
        open_timeout=open_timeout,
        clock=clock,
        timeline=timeline,
        meter=meter,
    )
    return ConnectContext(conn, task_group, session)
