"""The machinery under :class:`~realtime_kit.Conversation`: its tasks, its sends, its events.

Four kinds of task run in a task group the ``async with`` block owns:

* the **driver** reads the connection (``async for event in conn``), meters each event, feeds the
  :class:`~realtime_kit.conversation._engine.ConversationEngine`, then sends what the engine and
  the response scheduler want sent and hands the engine's events to the app;
* the **player** moves assistant audio from the engine's play queue to the playback sink (a
  speaker may make it wait; the driver never does);
* one task per **tool call** (the tools never block audio or barge-in), and a filler timer for a
  slow tool that has a filler line;
* a **ticker** that wakes only while assistant words are held back for a late user transcript.

Each runs in a cancel scope of its own (never the task group's: the app's ``async with`` body
runs inside that). Sends from all of them go through one lock, in order. The session config,
tools and history survive reconnects and rollovers: the connection re-applies the config and
replays the history; the runtime re-anchors the model, keeps running tools whose outputs still
go to the new session, and reports it as a :class:`~realtime_kit.conversation.Reconnected`.

:class:`ConversationRuntime` is the base of :class:`~realtime_kit.Conversation`, which adds the
public API and the options; the two share one object's state.

Imports: anyio, the standard library, ``errors``, ``events``, ``audio``, ``cost``,
``connection``, ``reconnect`` and sibling modules. Never a concrete transport.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar

import anyio
from anyio.abc import TaskGroup

from realtime_kit.audio import PCMFrame, Resampler
from realtime_kit.client import ConnectionRestored, RealtimeConnection
from realtime_kit.conversation._calls import ToolCallRequest
from realtime_kit.conversation._engine import ConversationEngine, ToolStart
from realtime_kit.conversation._events import (
    AssistantAudio,
    BudgetAlert,
    ConversationClosed,
    ConversationError,
    ConversationEvent,
    RawServerEvent,
    Reconnected,
    ResponseDone,
    ToolCallFinished,
    UserIdle,
)
from realtime_kit.conversation._log import ConversationLog
from realtime_kit.conversation._playout import AppPlayback, InputConverter, PlaybackSink, PlayOp
from realtime_kit.conversation._scheduler import ResponseRequest, ResponseScheduler
from realtime_kit.conversation._streams import ResponseHandle
from realtime_kit.conversation._toolset import ToolSet
from realtime_kit.cost import BudgetEvent, CostMeter
from realtime_kit.errors import (
    BudgetExceededError,
    ConfigurationError,
    LocalProtocolError,
    RealtimeKitError,
)
from realtime_kit.events import (
    ClientEvent,
    ConversationItemCreateEvent,
    ErrorEvent,
    ServerEvent,
    SessionUpdateEvent,
)

__all__ = ["ConversationRuntime", "Handler", "HangupError", "create_item"]

_log = logging.getLogger("realtime_kit.conversation")

E = TypeVar("E")
Handler = Callable[[E], Awaitable[None] | None]

_EVENT_BUFFER = 10_000


class ConversationRuntime:
    """Tasks, sends and event delivery of a conversation (see the module docstring)."""

    # Options, set by Conversation.__init__ before _init_state().
    _tools: ToolSet
    _approve: Callable[[ToolCallRequest], Awaitable[bool]] | None
    _reanchor: str | None
    _wrap_up_instructions: str
    _idle_hangup_after: int | None
    _transcript_hold_s: float
    _now: Callable[[], float]
    _meter: CostMeter
    _output_rate: int
    _media: bool

    def _init_state(self) -> None:
        """The runtime's state (options are set by the conversation before this)."""
        self.log = ConversationLog()
        """The ordered conversation log (see :class:`ConversationLog`)."""
        self._scheduler = ResponseScheduler()
        self._engine: ConversationEngine | None = None
        self._conn: RealtimeConnection | None = None
        self._connect_cm: Any = None
        self._tg: TaskGroup | None = None
        self._send_lock: anyio.Lock | None = None  # created in __aenter__ (needs a running loop)
        self._sink: PlaybackSink | None = None
        self._app_playback: AppPlayback | None = None
        self._input: InputConverter | None = None
        self._raw = False
        self._events: deque[ConversationEvent] = deque()
        self._events_waiter: anyio.Event | None = None
        self.events_dropped = 0
        """Events dropped because :meth:`events` was not read (the oldest beyond 10,000)."""
        self._handlers: dict[type[Any], list[Handler[Any]]] = {}
        self._handles: dict[str, ResponseHandle] = {}
        self._scopes: set[anyio.CancelScope] = set()
        self._interrupts: dict[str, anyio.Event] = {}
        self._running_tools: set[str] = set()
        self._play_wakeup: anyio.Event | None = None
        self._playing = False  # the player task is waiting inside sink.play()
        # A sink that can take a frame without waiting says so with offer(); then frames are
        # handed over at once, with no task switch per audio delta.
        self._offer: Callable[[PCMFrame, str, int], bool] | None = None
        self._tick_wakeup: anyio.Event | None = None
        # Every session.update gets exactly one answer (session.updated, or an error caused by
        # it), in order: update number n is answered by answer number n.
        self._updates_sent = 0
        self._updates_answered = 0
        self._update_waiters: dict[int, tuple[anyio.Event, list[BaseException]]] = {}
        self._closed = False
        self._closing = False
        self._error: BaseException | None = None
        self._done: anyio.Event | None = None
        self._budget_action: str | None = None
        self.restores: list[Reconnected] = []
        """Every reconnect and rollover so far."""
        if self._meter.budget is not None:
            self._meter.add_budget_callback(self._on_budget)

    def _spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``fn(*args)`` in the task group, in a scope the conversation can cancel."""
        if self._tg is None:
            return
        scope = anyio.CancelScope()
        if self._closed:
            scope.cancel()
        self._scopes.add(scope)

        async def run() -> None:
            try:
                with scope:
                    await fn(*args)
            finally:
                self._scopes.discard(scope)

        self._tg.start_soon(run)

    def _require_open(self) -> RealtimeConnection:
        if self._conn is None or self._closed or self._closing:
            raise LocalProtocolError(
                "use the conversation", "it is closed" if self._closed else "it is not open"
            )
        return self._conn

    def _require_engine(self) -> ConversationEngine:
        self._require_open()
        assert self._engine is not None
        return self._engine

    def _finish(self, error: BaseException | None) -> None:
        """The conversation ended (``error``: why, if it failed): close the streams, stop tasks."""
        if self._closed:
            return
        self._closed = True
        if error is not None and self._error is None:
            self._error = error
        if self._app_playback is not None:
            self._app_playback.close()
        self._emit(
            ConversationClosed(self._error if not isinstance(self._error, HangupError) else None)
        )
        if self._done is not None:
            self._done.set()
        # Not the task group's own scope: the app's ``async with`` body runs inside it.
        for scope in list(self._scopes):
            scope.cancel()

    async def aclose(self) -> None:
        """End the conversation: cancel running tools, close the session, finish the streams."""
        if self._closing:
            if self._done is not None:
                await self._done.wait()
            return
        self._closing = True
        conn = self._conn
        if conn is not None and self._connect_cm is not None:
            # Close the session from whichever task asked; leaving connect()'s block (and its
            # task group) is the opening task's job, in ``__aexit__``.
            await conn.aclose()
        self._finish(None)

    async def _close_connection(self) -> None:
        # No shield around the exit: it leaves the connection's task group, which was entered
        # before any scope opened here (the connection shields its own closing handshake).
        cm, self._connect_cm = self._connect_cm, None
        if cm is not None:
            try:
                await cm.__aexit__(None, None, None)
            except RealtimeKitError as exc:
                # The session had already failed; that failure is reported once, by us.
                if self._error is None:
                    self._error = exc

    def _emit(self, event: ConversationEvent) -> None:
        for cls in type(event).__mro__:
            for handler in self._handlers.get(cls, ()):
                self._call_handler(handler, event)
        if isinstance(event, AssistantAudio):
            return
        if isinstance(event, RawServerEvent) and not self._raw:
            return
        if len(self._events) >= _EVENT_BUFFER:
            self._events.popleft()
            self.events_dropped += 1
            if self.events_dropped == 1:
                _log.warning("conversation events are not being read; dropping the oldest")
        self._events.append(event)
        waiter, self._events_waiter = self._events_waiter, None
        if waiter is not None:
            waiter.set()

    def _call_handler(self, handler: Handler[Any], event: Any) -> None:
        try:
            result = handler(event)
        except Exception:  # noqa: BLE001 (a handler's bug is reported, the call goes on)
            _log.exception("conversation handler %r failed on %s", handler, type(event).__name__)
            return
        if result is not None and self._tg is not None:
            self._spawn(_await_handler, handler, result)

    async def _next_event(self, raw: bool) -> ConversationEvent:
        while True:
            while not self._events:
                if self._closed:
                    raise StopAsyncIteration
                waiter = self._events_waiter = anyio.Event()
                await waiter.wait()
            event = self._events.popleft()
            if isinstance(event, RawServerEvent) and not raw:
                continue
            return event

    async def _send(self, event: ClientEvent) -> None:
        conn = self._require_open()
        assert self._send_lock is not None
        async with self._send_lock:
            await conn.send(event)
        self._meter.observe(event)

    def _kick(self) -> None:
        """Something may be ready to send: let the driver flush soon."""
        if self._tg is not None and not self._closed:
            self._spawn(self._flush)

    async def _flush(self) -> None:
        """Send what the engine and the scheduler want sent, then hand out events."""
        engine = self._engine
        conn = self._conn
        if engine is None or conn is None or self._closed:
            return
        if not engine.outbox and not self._scheduler.has_queued:
            self._deliver()  # the common case (audio, transcripts): nothing to send
            return
        assert self._send_lock is not None
        async with self._send_lock:
            while True:
                batch: list[tuple[ClientEvent, ResponseRequest | None]] = [
                    (e, None) for e in engine.outbox
                ]
                engine.outbox.clear()
                for ready_request, create in self._scheduler.ready(self._now()):
                    batch.append((create, ready_request))
                if not batch:
                    break
                for event, request in batch:
                    await self._send_one(conn, event, request)
        self._deliver()

    async def _send_one(
        self, conn: RealtimeConnection, event: ClientEvent, request: ResponseRequest | None
    ) -> None:
        try:
            await conn.send(event)
        except LocalProtocolError as exc:
            # The session state refused it (e.g. truncating an item a reconnect did not carry).
            if request is not None:
                request.state = "failed"
                request.error = str(exc)
                self._finish_handle(request.request_id, None)
            assert self._engine is not None
            self._engine.events.append(
                ConversationError(str(exc), None, True, event.type, exception=exc)
            )
            return
        if request is not None:
            self._scheduler.sent(request, event.event_id)
        self._meter.observe(event)

    def _deliver(self) -> None:
        engine = self._engine
        if engine is None:
            return
        events, engine.events = engine.events, []
        for raw in events:
            event = raw
            if isinstance(raw, ResponseDone):
                event = done = self._with_cost(raw)
                if done.request_id is not None:
                    self._finish_handle(done.request_id, done)
            elif isinstance(raw, UserIdle):
                event = self._on_idle(raw)
            self._emit(event)
        for request in list(self._handles.values()):
            if (
                request._request.state in ("failed", "superseded", "cancelled")
                and request._request.response_id is None
            ):
                self._finish_handle(request.request_id, None)
        if engine.playout:
            self._hand_over(engine)
        if engine.tool_starts:
            starts, engine.tool_starts = engine.tool_starts, []
            for start in starts:
                self._start_tool(start)
        if engine.tool_cancels:
            cancels, engine.tool_cancels = engine.tool_cancels, []
            for call_id, _name in cancels:
                call = engine.call(call_id)
                if call is not None:
                    self._cancel_tools(call.response_id)
        if engine.holding and self._tick_wakeup is not None:
            self._tick_wakeup.set()

    def _finish_handle(self, request_id: str, result: ResponseDone | None) -> None:
        handle = self._handles.pop(request_id, None)
        if handle is not None:
            handle._finish(result)

    def _with_cost(self, event: ResponseDone) -> ResponseDone:
        cost = self._meter.responses.get(event.response_id)
        usd = cost.usd if cost is not None else None
        if usd is not None:
            self.log.response(event.response_id).cost_usd = str(usd)
        return ResponseDone(
            event.response_id,
            event.status,
            event.reason,
            event.out_of_band,
            event.request_id,
            event.usage,
            usd,
            event.latency,
            event.error,
            event.raw,
        )

    def _request(self, params: Mapping[str, Any], kind: Any) -> ResponseHandle:
        self._require_open()
        request = self._scheduler.request(params, kind=kind, now=self._now())
        handle = ResponseHandle(request, self._cancel)
        self._handles[request.request_id] = handle
        self._kick()
        return handle

    async def _cancel(self, target: str | None) -> bool:
        """Cancel a request or response; see :meth:`Conversation.cancel`."""
        before = self._scheduler.get(target) if target is not None else None
        event = self._scheduler.cancel(target)
        if event is not None:
            await self._send(event)
            await self._flush()
            return True
        if before is not None and before.state == "cancelled":
            self._finish_handle(before.request_id, None)
            return True
        return before is not None and before.cancel_requested

    def _response_of(self, item_id: str) -> str:
        return self._engine.response_of(item_id) if self._engine is not None else ""

    async def _send_session_update(self, session: Mapping[str, Any]) -> int:
        """Send a ``session.update``; returns its number (see :meth:`_wait_update`)."""
        event = SessionUpdateEvent.model_validate(
            {"type": "session.update", "session": dict(session)}
        )
        await self._send(event)
        self._updates_sent += 1
        return self._updates_sent

    async def _wait_update(self, number: int) -> dict[str, Any]:
        """Wait for the answer to update ``number``; raise if the server refused it."""
        if number <= self._updates_answered:
            return dict(self._engine.session or {}) if self._engine is not None else {}
        waiter = anyio.Event()
        failures: list[BaseException] = []
        self._update_waiters[number] = (waiter, failures)
        await waiter.wait()
        if failures:
            raise failures[0]
        return dict(self._engine.session or {}) if self._engine is not None else {}

    def _update_answered(self, error: ErrorEvent | None) -> None:
        self._updates_answered += 1
        waiter = self._update_waiters.pop(self._updates_answered, None)
        if waiter is None:
            return
        event, failures = waiter
        if error is not None:
            failures.append(
                ConfigurationError(
                    f"the server refused the session change: {error.error.message}"
                    f" (param {error.error.param})"
                )
            )
        event.set()

    async def _drive(self) -> None:
        conn = self._conn
        engine = self._engine
        assert conn is not None
        assert engine is not None
        try:
            async for event in conn:
                if isinstance(event, ConnectionRestored):
                    await self._on_restored(event)
                    continue
                self._on_server_event(conn, engine, event)
                await self._flush()
        except RealtimeKitError as exc:
            self._finish(exc)
            return
        self._finish(None)

    def _on_server_event(
        self, conn: RealtimeConnection, engine: ConversationEngine, event: ServerEvent
    ) -> None:
        try:
            self._meter.observe(event)
        except BudgetExceededError:
            pass  # the budget callback already acted
        except RealtimeKitError as exc:
            engine.events.append(ConversationError(f"cost meter: {exc}", None, True, exception=exc))
        if self._raw or RawServerEvent in self._handlers:
            engine.events.append(RawServerEvent(event))
        if event.type == "session.updated":
            self._update_answered(None)
        if isinstance(event, ErrorEvent):
            cause = conn.cause_of(event)
            if cause is not None and cause.type == "session.update":
                self._update_answered(event)
            engine.on_error_with_cause(
                event, cause.type if cause else None, cause.event_id if cause else None
            )
            return
        engine.receive(event)

    async def _on_restored(self, restored: ConnectionRestored) -> None:
        engine = self._engine
        assert engine is not None
        lost_requests, pending_calls = engine.session_replaced()
        if restored.restored_config:
            # The restore re-applied the config with a session.update of its own, sent before
            # any update of ours still queued: its answer comes first.
            self._updates_sent += 1
            self._update_waiters = {
                number + 1: waiter for number, waiter in self._update_waiters.items()
            }
        for request in lost_requests:
            self._finish_handle(request.request_id, None)
        if self._reanchor:
            with contextlib.suppress(LocalProtocolError):
                await self._send(
                    create_item(
                        {
                            "type": "message",
                            "role": "system",
                            "content": [{"type": "input_text", "text": self._reanchor}],
                        }
                    )
                )
        event = Reconnected(restored.cause, restored, restored.lost, tuple(pending_calls))
        self.restores.append(event)
        engine.events.append(event)
        await self._flush()

    def _hand_over(self, engine: ConversationEngine) -> None:
        """New audio to play: a sink that never waits takes it now; else the player task."""
        offer = self._offer
        if offer is not None and not self._playing:
            while engine.playout:
                op = engine.playout[0]
                if op.kind == "end":
                    assert self._sink is not None
                    self._sink.end_item(op.item_id, content_index=op.content_index)
                else:
                    assert op.frame is not None
                    if not offer(op.frame, op.item_id, op.content_index):
                        break  # it would have to wait: the player task takes over
                    self._played(engine, op)
                engine.playout.popleft()
            if not engine.playout:
                return
        if self._play_wakeup is not None:
            self._play_wakeup.set()

    def _played(self, engine: ConversationEngine, op: PlayOp) -> None:
        engine.heard_started(op.item_id)
        if self._handlers:
            assert op.frame is not None
            self._emit(
                AssistantAudio(
                    op.item_id, engine.response_of(op.item_id), op.content_index, op.frame
                )
            )

    async def _play(self) -> None:
        engine = self._engine
        sink = self._sink
        assert engine is not None
        while True:
            if not engine.playout:
                waiter = self._play_wakeup = anyio.Event()
                if not engine.playout:
                    await waiter.wait()
                continue
            op = engine.playout.popleft()
            if sink is None:
                continue
            if op.kind == "end":
                sink.end_item(op.item_id, content_index=op.content_index)
                continue
            assert op.frame is not None
            epoch = engine.epoch
            self._playing = True
            try:
                await sink.play(op.frame, op.item_id, content_index=op.content_index)
            finally:
                self._playing = False
            if engine.epoch != epoch:
                sink.flush()  # a barge-in came while this frame waited: it must not play
                continue
            self._played(engine, op)

    async def _pull_media(self) -> None:
        """WebRTC: the audio the track delivers goes to the sink, as the item being played."""
        conn, engine, sink = self._conn, self._engine, self._sink
        assert conn is not None
        assert engine is not None
        resampler: Resampler | None = None
        async for received in conn.audio_frames():
            item = engine.media_item()
            if item is None or sink is None:
                continue  # silence between responses, or audio nobody plays (audio_output off)
            frame = received
            if frame.rate != self._output_rate:
                if resampler is None or resampler.in_rate != frame.rate:
                    resampler = Resampler(frame.rate, self._output_rate)
                frame = resampler.process(frame)
            if not frame.num_samples:
                continue
            offer = self._offer
            if offer is None or not offer(frame, item, 0):
                await sink.play(frame, item)
            engine.heard_started(item)

    async def _tick(self) -> None:
        engine = self._engine
        assert engine is not None
        while True:
            if not engine.holding:
                waiter = self._tick_wakeup = anyio.Event()
                await waiter.wait()
                continue
            await anyio.sleep(self._transcript_hold_s / 4)
            engine.tick()
            self._deliver()

    def _start_tool(self, start: ToolStart) -> None:
        assert self._tg is not None
        interrupt = self._interrupts.get(start.response_id)
        if interrupt is None:
            interrupt = self._interrupts[start.response_id] = anyio.Event()
        self._running_tools.add(start.call_id)
        self._spawn(self._run_tool, start, interrupt)
        tool = self._tools.get(start.name)
        if tool is not None and tool.filler:
            self._spawn(self._filler, start, tool.filler)

    def _cancel_tools(self, response_id: str) -> None:
        """The user interrupted ``response_id``: its tools with ``on_interrupt="cancel"`` stop."""
        interrupt = self._interrupts.get(response_id)
        if interrupt is not None:
            interrupt.set()

    async def _run_tool(self, start: ToolStart, interrupt: anyio.Event) -> None:
        request = ToolCallRequest(
            call_id=start.call_id,
            name=start.name,
            arguments=start.arguments,
            item_id=start.item_id,
            response_id=start.response_id,
        )
        result = await self._tools.run(
            request, extras={"conversation": self}, approve=self._approve, interrupt=interrupt
        )
        self._running_tools.discard(start.call_id)
        engine = self._engine
        if engine is None or self._closed:
            return
        status = str(result.outcome)
        event = engine.tool_finished(start.call_id, status=status, output=result.output)
        engine.events.append(
            ToolCallFinished(
                start.call_id, start.name, status, result.output, result.duration, result.exception
            )
        )
        if event is not None:
            with contextlib.suppress(LocalProtocolError):
                await self._send(event)
        await self._flush()

    async def _filler(self, start: ToolStart, text: str) -> None:
        """Say the tool's filler line if it is still running after the delay and the listener
        hears nothing (no dead air while a slow tool works)."""
        await anyio.sleep(self._tools.filler_delay)
        if start.call_id not in self._running_tools or self._closed:
            return
        engine = self._engine
        busy_audio = self._sink is not None and self._sink.clock.queued_ms > 0
        if engine is None or busy_audio:
            return
        # Out of band: the filler is heard but does not enter the history the model reasons on.
        self._request(
            {
                "conversation": "none",
                "input": [],
                "tool_choice": "none",
                "instructions": "Say exactly this short sentence and nothing else: " + text,
            },
            "filler",
        )

    def _on_budget(self, budget_event: BudgetEvent) -> None:
        level = budget_event.level
        engine = self._engine
        if level == "warn":
            action: Literal["warned", "wrapping_up", "stopped"] = "warned"
        elif level == "wrap_up":
            action = "wrapping_up"
            if self._conn is not None and not self._closed:
                self._scheduler.request(
                    {"instructions": self._wrap_up_instructions, "tool_choice": "none"},
                    kind="wrap_up",
                    now=self._now(),
                )
                self._kick()
        else:
            action = "stopped"
            if self._tg is not None and not self._closing:
                self._spawn(self._hang_up, "budget")
        alert = BudgetAlert(budget_event, action)
        if engine is not None:
            engine.events.append(alert)
        else:
            self._emit(alert)

    def _on_idle(self, event: UserIdle) -> UserIdle:
        limit = self._idle_hangup_after
        if limit is not None and event.count >= limit:
            if self._tg is not None and not self._closing:
                self._spawn(self._hang_up, "idle")
            return UserIdle(event.count, "hung_up", event.at)
        return event

    async def _hang_up(self, reason: str) -> None:
        _log.info("conversation ending: %s", reason)
        engine = self._engine
        if engine is not None and self._conn is not None and not self._closed:
            with contextlib.suppress(RealtimeKitError):
                await self._cancel(None)
        if self._error is None:
            self._error = HangupError(reason)
        await self.aclose()


class HangupError(RealtimeKitError):
    """Internal: the conversation ended itself on purpose (budget, idle)."""


async def _await_handler(handler: Handler[Any], result: Awaitable[None]) -> None:
    try:
        await result
    except Exception:  # noqa: BLE001 (a handler's bug is reported, the call goes on)
        _log.exception("conversation handler %r failed", handler)


def create_item(item: Mapping[str, Any]) -> ConversationItemCreateEvent:
    """A ``conversation.item.create`` for ``item``."""
    return ConversationItemCreateEvent.model_validate(
        {"type": "conversation.item.create", "item": dict(item)}
    )
