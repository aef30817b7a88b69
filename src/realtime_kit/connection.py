"""``realtime_kit.connect()`` and :class:`RealtimeConnection`: one transport plus one protocol
core, driven inside a task group, with reconnect and proactive rollover.

This is the only module where a transport meets the protocol core. The read loop has one shape:
receive a frame → feed the core → hand the event to handlers and to ``async for``. Sends are
checked by the core at once (so a caller mistake raises in the caller), then written in order
through a bounded queue: when the socket is slow, ``send`` waits (backpressure) instead of
buffering without limit. Async handlers each get their own ordered worker, so a slow handler
never stalls the read loop; sync handlers run inline and must be quick.

A drop with a recoverable close code re-opens a fresh session (the API cannot resume one),
re-applies the confirmed config, replays the history as text, re-sends uncommitted input audio
and any events queued during the outage, and reports it all in a
:class:`~realtime_kit.reconnect.ConnectionRestored`. Before the 60-minute cap a rollover does
the same on purpose: a standby session is opened early and swapped in at a turn boundary.

Imports: anyio, the standard library, ``errors``, ``events``, ``protocol``, ``transports``,
``reconnect`` and ``_settings``.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pydantic import BaseModel

from realtime_kit._settings import ClientSettings
from realtime_kit.errors import (
    ConfigurationError,
    ConnectionClosedError,
    DecodeError,
    HandshakeError,
    LocalProtocolError,
    RealtimeKitError,
    RemoteProtocolError,
)
from realtime_kit.events import (
    ClientEvent,
    ErrorEvent,
    InputAudioBufferAppendEvent,
    ServerEvent,
    decode_client_event,
)
from realtime_kit.protocol import LostState, RealtimeProtocol, SessionKind, plan_restore
from realtime_kit.protocol.records import PendingEvent
from realtime_kit.reconnect import ConnectionRestored, ReconnectPolicy, RolloverPolicy
from realtime_kit.transports.base import Transport
from realtime_kit.transports.websocket import WebSocketTransport

__all__ = ["RealtimeConnection", "TransportOpener", "connect"]

_log = logging.getLogger("realtime_kit.connection")

E = TypeVar("E")
Handler = Callable[[E], object]
Delivered = ServerEvent | ConnectionRestored
TransportOpener = Callable[[str, Mapping[str, str]], Awaitable[Transport]]
"""Opens a transport to a URL with handshake headers (the default opens a WebSocket)."""

_AUDIO_APPENDS = ("input_audio_buffer.append",)
_AUDIO_RESETS = ("input_audio_buffer.commit", "input_audio_buffer.clear")


@dataclass(eq=False)
class _Leg:
    """One session on one transport."""

    transport: Transport
    core: RealtimeProtocol
    generation: int
    uncommitted: list[ClientEvent] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    kind: SessionKind
    path: str
    query: dict[str, str]


def _target(
    model: str | None, intent: str | None, translation: bool, call_id: str | None
) -> _Target:
    chosen = [name for name, v in (("model", model), ("intent", intent), ("call_id", call_id)) if v]
    if translation:
        if intent or call_id:
            raise ConfigurationError("translation sessions take only model= (no intent, call_id)")
        return _Target(
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
        return _Target(kind, "/realtime", {"intent": intent})
    if call_id is not None:
        return _Target("realtime", "/realtime", {"call_id": call_id})
    assert model is not None
    return _Target("realtime", "/realtime", {"model": model})


class RealtimeConnection:
    """A live Realtime session. Get one from :func:`connect`; do not construct it yourself.

    Iterate it (``async for event in conn``) for typed server events plus
    :class:`~realtime_kit.reconnect.ConnectionRestored` notices, register typed handlers with
    :meth:`on`, and send with :meth:`send`.
    """

    def __init__(
        self,
        *,
        target: _Target,
        settings: ClientSettings,
        opener: TransportOpener,
        reconnect: ReconnectPolicy | None,
        rollover: RolloverPolicy | None,
        queue_size: int,
        event_buffer: int,
        open_timeout: float,
        clock: Callable[[], float],
    ) -> None:
        self._target = target
        self._settings = settings
        self._opener = opener
        self._reconnect = reconnect
        self._rollover = rollover
        self._open_timeout = open_timeout
        self._clock = clock
        self._leg: _Leg | None = None
        self._generation = 0
        self._leg_changed = anyio.Event()
        out: tuple[MemoryObjectSendStream[Any], MemoryObjectReceiveStream[Any]]
        out = anyio.create_memory_object_stream[tuple[int, ClientEvent, bytes]](queue_size)
        self._outbox, self._outbox_reader = out
        self._unwritten = 0
        self._write_lock = anyio.Lock()
        inbox = anyio.create_memory_object_stream[Delivered](event_buffer)
        self._inbox, self._inbox_reader = inbox
        self._handlers: dict[type[Any], list[_HandlerSlot]] = {}
        self._dispatch_cache: dict[type[Any], list[_HandlerSlot]] = {}
        self._scope = anyio.CancelScope()
        self._tg: TaskGroup | None = None
        self._closing = False
        self._done = anyio.Event()
        self._error: BaseException | None = None
        self._error_seen = False
        self.restores: list[ConnectionRestored] = []
        """Every reconnect and rollover so far, oldest first."""

    # -- public surface ---------------------------------------------------------------------

    @property
    def kind(self) -> SessionKind:
        """``realtime``, ``transcription`` or ``translation``."""
        return self._target.kind

    @property
    def protocol(self) -> RealtimeProtocol:
        """The protocol core of the current session (state: items, responses, buffer)."""
        assert self._leg is not None
        return self._leg.core

    @property
    def session(self) -> dict[str, Any] | None:
        """The session config as the server last confirmed it."""
        return self.protocol.session

    @property
    def session_id(self) -> str | None:
        """The current ``sess_…`` id (changes after a reconnect or rollover)."""
        return self.protocol.session_id

    @property
    def transport(self) -> Transport:
        """The current transport."""
        assert self._leg is not None
        return self._leg.transport

    @property
    def closed(self) -> bool:
        """Whether the connection has ended (gracefully or not)."""
        return self._done.is_set()

    @property
    def error(self) -> BaseException | None:
        """Why the connection ended, when it did not end by :meth:`aclose`."""
        return self._error

    def cause_of(self, error: ErrorEvent) -> PendingEvent | None:
        """The client event an ``error`` event answers (by ``event_id``), if known."""
        return self.protocol.cause_of(error)

    async def send(self, event: ClientEvent) -> None:
        """Check ``event`` against the session state and send it, in order.

        Waits when the outbound queue is full (backpressure). During a reconnect the event is
        queued and delivered to the new session.

        Raises:
            LocalProtocolError: the session state forbids the event (raised here, at once).
            ConnectionClosedError: the connection has ended; or the error that ended it.
        """
        leg = self._leg
        if self._done.is_set() or leg is None:
            self._raise_closed()
            raise AssertionError("unreachable")
        data = leg.core.send(event)
        if self._unwritten == 0 and not self._write_lock.locked():
            async with self._write_lock:
                if leg is self._leg:
                    try:
                        await leg.transport.send_text(data)
                    except ConnectionClosedError:
                        pass  # the writer retries it on the next session
                    else:
                        self._written(leg, event)
                        return
        self._unwritten += 1
        try:
            await self._outbox.send((leg.generation, event, data))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._unwritten -= 1
            self._raise_closed()

    async def update_session(self, session: Mapping[str, Any] | BaseModel) -> None:
        """Send a ``session.update`` built from a dict or model (``type`` filled in)."""
        await self.send(_session_update(self.kind, session))

    @overload
    def on(self, event_type: type[E]) -> Callable[[Handler[E]], Handler[E]]: ...

    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> Callable[[], None]: ...

    def on(
        self, event_type: type[E], handler: Handler[E] | None = None
    ) -> Callable[[], None] | Callable[[Handler[E]], Handler[E]]:
        """Call ``handler`` for every event of ``event_type`` (subclasses included).

        ``handler`` may be a plain function (run inline; keep it quick) or an ``async`` one
        (run by its own worker task, in order, never blocking the read loop). Use it directly
        (``conn.on(ResponseDoneEvent, fn)`` returns an unsubscribe function) or as a
        decorator (``@conn.on(ResponseDoneEvent)``).
        """
        if handler is None:

            def decorator(fn: Handler[E]) -> Handler[E]:
                self._subscribe(event_type, fn)
                return fn

            return decorator
        return self._subscribe(event_type, handler)

    def __aiter__(self) -> RealtimeConnection:
        return self

    async def __anext__(self) -> Delivered:
        try:
            return await self._inbox_reader.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            if self._error is not None:
                self._error_seen = True
                raise self._error from None
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        """Close gracefully: the socket with 1000, then the background tasks."""
        if self._closing:
            await self._done.wait()
            return
        self._closing = True
        with anyio.CancelScope(shield=True):
            if self._leg is not None:
                await self._leg.transport.aclose(1000, "client closed")
            self._finish()

    async def wait_closed(self) -> None:
        """Wait until the connection ends; raise the error that ended it, if any."""
        await self._done.wait()
        if self._error is not None:
            self._error_seen = True
            raise self._error

    # -- starting ----------------------------------------------------------------------------

    async def _start(self, tg: TaskGroup, session: Mapping[str, Any] | BaseModel | None) -> None:
        leg, early = await self._open_leg()
        self._install(leg)
        self._tg = tg
        for event in early:
            await self._deliver(event)
        if session is not None:
            update = _session_update(self.kind, session)
            await leg.transport.send_text(leg.core.send(update))
            await self._await_update(leg)
        tg.start_soon(self._run)

    async def _await_update(self, leg: _Leg) -> None:
        """Read (and deliver) until the server confirms or refuses the first session.update."""
        with anyio.fail_after(self._open_timeout):
            while True:
                event = leg.core.receive(await leg.transport.receive_text())
                await self._deliver(event)
                if leg.core.fatal is not None:
                    raise leg.core.fatal
                if event.type == "session.updated":
                    return
                if isinstance(event, ErrorEvent) and leg.core.cause_of(event) is not None:
                    cause = leg.core.cause_of(event)
                    if cause is not None and cause.type == "session.update":
                        raise ConfigurationError(
                            f"the server refused the session config: {event.error.message}"
                            f" (param {event.error.param})"
                        )

    async def _open_leg(self) -> tuple[_Leg, list[Delivered]]:
        url = self._settings.ws_url(self._target.path, self._target.query)
        transport = await self._opener(url, self._settings.headers())
        core = RealtimeProtocol(self._target.kind)
        early: list[Delivered] = []
        try:
            with anyio.fail_after(self._open_timeout):
                while core.phase == "connecting":
                    event = core.receive(await transport.receive_text())
                    early.append(event)
                    if core.fatal is not None:
                        raise core.fatal
        except TimeoutError:
            await transport.aclose()
            raise HandshakeError("no session.created from the server in time") from None
        except BaseException:
            await transport.aclose()
            raise
        self._generation += 1
        return _Leg(transport, core, self._generation), early

    def _install(self, leg: _Leg) -> None:
        self._leg = leg
        changed, self._leg_changed = self._leg_changed, anyio.Event()
        changed.set()

    async def _run(self) -> None:
        with self._scope:
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._write_loop)
                    if self._rollover is not None:
                        tg.start_soon(self._rollover_loop, tg)
                    self._tg = tg
                    await self._read_loop()
                    tg.cancel_scope.cancel()
            except RealtimeKitError as exc:
                self._fail(exc)
            except BaseExceptionGroup as group:
                leaf = group.exceptions[0] if len(group.exceptions) == 1 else group
                self._fail(leaf)
        self._finish()

    # -- reading -----------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while not self._closing:
            leg = self._leg
            assert leg is not None
            try:
                text = await leg.transport.receive_text()
            except ConnectionClosedError as exc:
                if leg is not self._leg or self._closing:
                    continue
                await self._recover(leg, exc)
                continue
            try:
                event = leg.core.receive(text)
            except DecodeError as exc:
                _log.warning("undecodable server frame: %s", exc)
                leg.core.violations.append(RemoteProtocolError(f"undecodable frame: {exc}"))
                continue
            if leg is not self._leg:
                continue
            if event.type in ("input_audio_buffer.committed", "input_audio_buffer.cleared"):
                leg.uncommitted.clear()
            await self._deliver(event)
            if leg.core.fatal is not None:
                fatal = leg.core.fatal
                await leg.transport.aclose(1000, "fatal error")
                raise fatal

    async def _deliver(self, event: Delivered) -> None:
        for slot in self._slots_for(type(event)):
            slot.dispatch(event)
        await self._inbox.send(event)

    # -- writing -----------------------------------------------------------------------------

    def _written(self, leg: _Leg, event: ClientEvent) -> None:
        kind = event.type
        if kind in _AUDIO_APPENDS:
            leg.uncommitted.append(event)
        elif kind in _AUDIO_RESETS:
            leg.uncommitted.clear()

    async def _write_loop(self) -> None:
        async for queued_generation, event, queued_data in self._outbox_reader:
            generation, data = queued_generation, queued_data
            try:
                while True:
                    leg = self._leg
                    assert leg is not None
                    if generation != leg.generation:
                        try:
                            data = leg.core.send(event)
                        except LocalProtocolError as exc:
                            _log.warning("queued %s dropped after a restore: %s", event.type, exc)
                            self._requeue_lost.append(LostState(f"queued {event.type}", str(exc)))
                            break
                        generation = leg.generation
                    async with self._write_lock:
                        try:
                            await leg.transport.send_text(data)
                        except ConnectionClosedError:
                            waiter = self._leg_changed
                        else:
                            self._written(leg, event)
                            break
                    await waiter.wait()
            finally:
                self._unwritten -= 1

    _requeue_lost: list[LostState]

    # -- recovery ----------------------------------------------------------------------------

    async def _recover(self, leg: _Leg, exc: ConnectionClosedError) -> None:
        policy = self._reconnect
        if policy is None or not policy.should_retry(exc):
            raise exc
        _log.info("connection lost (%s %s); reconnecting", exc.code, exc.reason)
        last: RealtimeKitError = exc
        for attempt in range(policy.max_attempts):
            await anyio.sleep(policy.delay(attempt))
            try:
                new, early = await self._open_leg()
            except RealtimeKitError as error:
                last = error
                if not policy.should_retry(error):
                    break
                continue
            await self._seed_and_switch(
                leg,
                new,
                early=early,
                cause="reconnect",
                attempts=attempt + 1,
                replay_history=policy.replay_history,
                closed=exc,
            )
            return
        raise last

    async def _seed_and_switch(
        self,
        old: _Leg,
        new: _Leg,
        *,
        early: list[Delivered],
        cause: Literal["reconnect", "rollover"],
        attempts: int,
        replay_history: bool,
        closed: ConnectionClosedError | None,
    ) -> None:
        plan = plan_restore(old.core, replay_history=replay_history, audio_replayed=True)
        async with self._write_lock:
            for event in plan.events:
                await new.transport.send_text(new.core.send(event))
            replayed = 0.0
            for event in old.uncommitted:
                await new.transport.send_text(new.core.send(event))
                if isinstance(event, InputAudioBufferAppendEvent):
                    replayed += len(event.audio) * 3 / 4 / 48
            new.uncommitted = list(old.uncommitted)
            self._requeue_lost = []
            self._install(new)
        report = ConnectionRestored(
            cause=cause,
            old_session_id=old.core.session_id,
            new_session_id=new.core.session_id,
            attempts=attempts,
            restored_config=plan.restored_config,
            restored_items=tuple(plan.restored_items),
            replayed_audio_ms=replayed,
            requeued_events=self._unwritten,
            lost=tuple(plan.lost),
            close_code=closed.code if closed is not None else None,
            close_reason=closed.reason if closed is not None else "",
        )
        self.restores.append(report)
        for notice in early:
            await self._deliver(notice)
        await self._deliver(report)

    # -- rollover ----------------------------------------------------------------------------

    async def _rollover_loop(self, tg: TaskGroup) -> None:
        policy = self._rollover
        assert policy is not None
        while not self._closing:
            leg = self._leg
            assert leg is not None
            expires = leg.core.expires_at
            if expires is None:
                return
            remaining = expires - self._clock()
            if remaining > policy.lead_time:
                await self._nap(min(remaining - policy.lead_time, policy.poll_interval), leg)
                continue
            try:
                standby, early = await self._open_leg()
            except RealtimeKitError as exc:
                _log.warning("rollover: standby session failed to open: %s", exc)
                await anyio.sleep(min(policy.poll_interval, 5.0))
                continue
            drained: list[Delivered] = []
            with anyio.CancelScope() as drain_scope:
                tg.start_soon(self._drain, standby, drained, drain_scope)
                await self._wait_for_boundary(leg, expires - policy.hard_deadline, policy)
            drain_scope.cancel()
            if self._closing or leg is not self._leg:
                await standby.transport.aclose()
                continue
            await self._seed_and_switch(
                leg,
                standby,
                early=early + drained,
                cause="rollover",
                attempts=1,
                replay_history=True,
                closed=None,
            )
            await leg.transport.aclose(1000, "rolled over to a new session")

    async def _nap(self, seconds: float, leg: _Leg) -> None:
        with anyio.move_on_after(seconds):
            while leg is self._leg:
                await self._leg_changed.wait()

    async def _drain(self, leg: _Leg, into: list[Delivered], scope: anyio.CancelScope) -> None:
        with scope:
            while True:
                try:
                    into.append(leg.core.receive(await leg.transport.receive_text()))
                except (ConnectionClosedError, DecodeError) as exc:
                    _log.warning("rollover: standby session ended early: %s", exc)
                    return

    async def _wait_for_boundary(self, leg: _Leg, deadline: float, policy: RolloverPolicy) -> None:
        poll = min(policy.poll_interval, 0.05)
        while leg is self._leg and not self._closing:
            core = leg.core
            if core.active_response is None and not core.input_buffer.speaking:
                return
            if self._clock() >= deadline:
                return
            await anyio.sleep(poll)

    # -- ending ------------------------------------------------------------------------------

    def _fail(self, error: BaseException) -> None:
        if self._error is None and not self._closing:
            self._error = error
        self._finish()

    def _finish(self) -> None:
        if self._done.is_set():
            return
        self._done.set()
        self._inbox.close()
        self._outbox.close()
        for slots in self._handlers.values():
            for slot in slots:
                slot.close()
        self._scope.cancel()

    def _raise_closed(self) -> None:
        if self._error is not None:
            self._error_seen = True
            if isinstance(self._error, RealtimeKitError):
                raise self._error
        raise ConnectionClosedError(
            self._leg.transport.close_code if self._leg else None, "connection is closed"
        )

    # -- handlers ----------------------------------------------------------------------------

    def _subscribe(self, event_type: type[Any], handler: Handler[Any]) -> Callable[[], None]:
        slot = _HandlerSlot(handler, self)
        self._handlers.setdefault(event_type, []).append(slot)
        self._dispatch_cache.clear()

        def unsubscribe() -> None:
            slots = self._handlers.get(event_type, [])
            if slot in slots:
                slots.remove(slot)
                slot.close()
                self._dispatch_cache.clear()

        return unsubscribe

    def _slots_for(self, cls: type[Any]) -> list[_HandlerSlot]:
        cached = self._dispatch_cache.get(cls)
        if cached is None:
            cached = [slot for base in cls.__mro__ for slot in self._handlers.get(base, ())]
            self._dispatch_cache[cls] = cached
        return cached


class _HandlerSlot:
    """One subscribed handler; async ones get an ordered, unbounded queue and a worker."""

    def __init__(self, handler: Handler[Any], conn: RealtimeConnection) -> None:
        self.handler = handler
        self.is_async = inspect.iscoroutinefunction(handler)
        self._conn = conn
        self._queue: MemoryObjectSendStream[Any] | None = None

    def dispatch(self, event: Any) -> None:
        if not self.is_async:
            self.handler(event)
            return
        if self._queue is None:
            send, receive = anyio.create_memory_object_stream[Any](math.inf)
            self._queue = send
            tg = self._conn._tg
            if tg is None:
                raise LocalProtocolError("dispatch to an async handler", "connection not started")
            tg.start_soon(self._work, receive)
        self._queue.send_nowait(event)

    async def _work(self, receive: MemoryObjectReceiveStream[Any]) -> None:
        async with receive:
            async for event in receive:
                result = self.handler(event)
                if inspect.isawaitable(result):
                    await result

    def close(self) -> None:
        if self._queue is not None:
            self._queue.close()


def _session_update(kind: SessionKind, session: Mapping[str, Any] | BaseModel) -> ClientEvent:
    payload = (
        session.model_dump(mode="json", exclude_unset=True)
        if isinstance(session, BaseModel)
        else dict(session)
    )
    if kind != "translation":
        payload.setdefault("type", kind)
    return decode_client_event(json.dumps({"type": "session.update", "session": payload}))


class _Connect:
    """The async context manager :func:`connect` returns."""

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
        if tg is None:
            self._own_tg = tg = anyio.create_task_group()
            await tg.__aenter__()
        try:
            await self._conn._start(tg, self._session)
        except BaseException as exc:
            self._conn._finish()
            if self._own_tg is not None:
                await self._own_tg.__aexit__(type(exc), exc, exc.__traceback__)
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
        if self._own_tg is not None:
            await self._own_tg.__aexit__(exc_type, exc, tb)
        if exc is None and unreported is not None:
            raise unreported
        return None


async def _open_websocket(url: str, headers: Mapping[str, str]) -> Transport:
    return await WebSocketTransport.connect(url, headers=headers)


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
    transport: TransportOpener | None = None,
    clock: Callable[[], float] = time.time,
) -> _Connect:
    """Open a Realtime session: ``async with realtime_kit.connect(...) as conn:``.

    Exactly one target: ``model=`` (voice agent), ``intent="transcription"``,
    ``translation=True`` (with an optional ``model=``, default ``gpt-realtime-translate``), or
    ``call_id=`` (a sideband socket on a WebRTC/SIP call). Entering the block waits for
    ``session.created`` (and, with ``session=``, for the server to confirm that config).

    Args:
        api_key: standard key or ephemeral ``ek_`` secret; default ``OPENAI_API_KEY``.
        base_url: e.g. ``https://api.openai.com/v1``; default ``OPENAI_BASE_URL``.
        organization, project, safety_identifier: sent as ``OpenAI-*`` headers.
        session: config sent as ``session.update`` right after ``session.created``.
        reconnect: a :class:`ReconnectPolicy`, ``True`` for the default one, ``False`` for none.
        rollover: a :class:`RolloverPolicy`, ``True`` for the default (prepare 5 minutes before
            the cap), ``False`` for none.
        task_group: run the background tasks in this task group (default: one owned by the
            ``async with`` block).
        queue_size: outbound events buffered before :meth:`RealtimeConnection.send` waits.
        event_buffer: events buffered for ``async for`` before reading pauses.
        transport: a custom transport opener (the default opens a WebSocket).
        clock: wall-clock seconds, compared with ``expires_at`` for rollover.

    Raises:
        ConfigurationError: bad or missing arguments (no API key, two targets).
        HandshakeError, TransportError: the connection could not be opened.
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
    conn = RealtimeConnection(
        target=target,
        settings=settings,
        opener=transport or _open_websocket,
        reconnect=ReconnectPolicy() if reconnect is True else reconnect or None,
        rollover=RolloverPolicy() if rollover is True else rollover or None,
        queue_size=queue_size,
        event_buffer=event_buffer,
        open_timeout=open_timeout,
        clock=clock,
    )
    conn._requeue_lost = []
    return _Connect(conn, task_group, session)
