""":class:`RealtimeConnection`: one transport plus one protocol core, driven inside a task
group, with reconnect and proactive rollover. Open one with :func:`realtime_kit.connect`
(``realtime_kit.client.factory``).

This is the only module where a transport meets the protocol core. Receiving has one shape:
a frame → the core → handlers and ``async for`` (:meth:`RealtimeConnection._on_message`). A
transport that can push (the asyncio WebSocket driver) calls it from its socket callback, so an
idle connection has no task at all and a received event costs one task switch (to whoever
awaits it); any other transport is read by one loop task. Sends are checked by the core at once
(so a caller mistake raises in the caller) and written at once when the socket takes them
without waiting; otherwise they go, in order, through a bounded queue: when the socket is slow,
``send`` waits (backpressure) instead of buffering without limit. Async handlers each get their
own ordered worker, so a slow handler never stalls reading; sync handlers run inline and must
be quick. An exception a handler lets out ends the connection with that exception.

A drop with a recoverable close code re-opens a fresh session (the API cannot resume one),
re-applies the confirmed config, replays the history as text, re-sends uncommitted input audio
and any events queued during the outage, and reports it all in a
:class:`~realtime_kit.client.reconnect.ConnectionRestored`. Before the 60-minute cap a rollover does
the same on purpose: a standby session is opened early and swapped in at a turn boundary.

What the helpers share with the connection is :class:`~realtime_kit.client._state.ConnectionState`,
which this class extends; the helpers never import this module.

Imports: anyio, the standard library, ``_settings``, ``_sync``, ``audio``, ``errors``,
``events``, ``protocol``, ``transports`` and the client's ``reconnect`` and private helpers
(``_dispatch``, ``_leg``, ``_media``, ``_opening``, ``_recovery``, ``_rollover``, ``_state``,
``_writing``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import anyio
from anyio.abc import TaskGroup
from pydantic import BaseModel

from realtime_kit._settings import ClientSettings
from realtime_kit._sync import Mailbox
from realtime_kit.audio.frame import API_RATE, PCMFrame
from realtime_kit.client._dispatch import Handler
from realtime_kit.client._leg import Leg, SessionTarget, TransportOpener, session_update
from realtime_kit.client._media import media_frames, replay_states, send_media, watch_states
from realtime_kit.client._opening import await_update
from realtime_kit.client._recovery import recover
from realtime_kit.client._rollover import rollover_loop
from realtime_kit.client._state import ConnectionState, Delivered
from realtime_kit.client._writing import audio_written, send_checked
from realtime_kit.client.reconnect import ReconnectPolicy, RolloverPolicy
from realtime_kit.cost import CostMeter
from realtime_kit.errors import (
    AudioError,
    ConnectionClosedError,
    LocalProtocolError,
    RealtimeKitError,
    RemoteProtocolError,
)
from realtime_kit.events import (
    ClientEvent,
    ErrorEvent,
    InputAudioBufferAppendEvent,
    SessionInputAudioBufferAppendEvent,
)
from realtime_kit.events._base import audio_base64, audio_buffer
from realtime_kit.protocol import RealtimeProtocol, SessionKind, TranslationTimeline
from realtime_kit.protocol.records import PendingEvent
from realtime_kit.transports.base import Transport, TransportStateChanged

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Delivered", "RealtimeConnection", "SessionTarget", "TransportOpener"]


E = TypeVar("E")


class RealtimeConnection(ConnectionState):
    """A live Realtime session. Get one from :func:`connect`; do not construct it yourself.

    Iterate it (``async for event in conn``) for typed server events plus
    :class:`~realtime_kit.client.reconnect.ConnectionRestored` notices, register typed handlers with
    :meth:`on`, and send with :meth:`send`.
    """

    def __init__(
        self,
        *,
        target: SessionTarget,
        settings: ClientSettings,
        opener: TransportOpener,
        reconnect: ReconnectPolicy | None,
        rollover: RolloverPolicy | None,
        queue_size: int,
        event_buffer: int,
        open_timeout: float,
        clock: Callable[[], float],
        timeline: TranslationTimeline | None = None,
        meter: CostMeter | None = None,
    ) -> None:
        super().__init__(
            target=target,
            settings=settings,
            opener=opener,
            reconnect=reconnect,
            rollover=rollover,
            open_timeout=open_timeout,
            clock=clock,
            timeline=timeline,
            queue_size=queue_size,
            meter=meter,
        )
        self._inbox: Mailbox[Delivered] = Mailbox(event_buffer)
        self._reading = False
        self._started = False
        self._error: BaseException | None = None
        self._error_seen = False
        self._handler_drain_timeout = 5.0

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
        await send_checked(self, leg, event, leg.core.send(event))

    async def send_audio(
        self, audio: bytes | bytearray | memoryview | npt.NDArray[np.int16] | PCMFrame
    ) -> None:
        """Append input audio: PCM16 (or G.711) bytes as the session's format wants, an
        ``int16`` array, or a :class:`~realtime_kit.audio.PCMFrame`.

        The cheapest way to stream a microphone: the append of this session kind
        (``input_audio_buffer.append``, or ``session.input_audio_buffer.append`` on a
        translation session) is written without building an event model. Same ordering,
        backpressure and reconnect behaviour as :meth:`send`.

        On a transport whose audio rides on a media track (WebRTC) the audio goes to that
        track instead: a ``PCMFrame`` at any rate (resampled once), bytes and arrays as PCM16
        mono at 24 kHz; it waits while the track's buffer is full.

        Raises:
            AudioError: an array that is not ``int16``; a frame that is not 24 kHz mono on a
                WebSocket.
            LocalProtocolError: the session is closing or closed.
            ConnectionClosedError: the connection has ended; or the error that ended it.
        """
        leg = self._leg
        if self._done.is_set() or leg is None:
            self._raise_closed()
            raise AssertionError("unreachable")
        if leg.media is not None:
            await send_media(self, leg, audio)
            return
        if isinstance(audio, PCMFrame):
            if audio.rate != API_RATE or audio.channels != 1:
                raise AudioError(
                    f"a WebSocket session takes 24 kHz mono audio, got {audio.rate} Hz/"
                    f"{audio.channels} ch (convert it with realtime_kit.Resampler)"
                )
            audio = audio.samples
        buffer = audio_buffer(audio)
        encoded = audio_base64(buffer)
        data = leg.core.send_audio(encoded)
        if self._unwritten == 0 and not self._write_lock.locked() and leg.try_send is not None:
            try:
                sent = leg.try_send(data)
            except ConnectionClosedError:
                sent = False
            if sent:
                audio_written(self, leg, encoded, buffer)
                return
        # The slow way needs the event itself (a reconnect re-encodes queued events).
        event: ClientEvent
        if self.kind == "translation":
            event = SessionInputAudioBufferAppendEvent(audio=encoded)
        else:
            event = InputAudioBufferAppendEvent(audio=encoded)
        await send_checked(self, leg, event, data)

    def audio_frames(self) -> AsyncIterator[PCMFrame]:
        """The audio the listener receives, when it rides on a media track (WebRTC): mono
        PCM16 frames at the transport's ``audio_rate`` (``WebRTCConfig.audio_rate``), in
        order, across reconnects, until the connection ends. One reader at a time.

        Raises:
            LocalProtocolError: the transport carries audio in events (WebSocket: read
                ``response.output_audio.delta``).
        """
        return media_frames(self)

    async def update_session(self, session: Mapping[str, Any] | BaseModel) -> None:
        """Send a ``session.update`` built from a dict or model (``type`` filled in)."""
        await self.send(session_update(self.kind, session))

    @overload
    def on(self, event_type: type[E]) -> Callable[[Handler[E]], Handler[E]]: ...

    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> Callable[[], None]: ...

    def on(
        self, event_type: type[E], handler: Handler[E] | None = None
    ) -> Callable[[], None] | Callable[[Handler[E]], Handler[E]]:
        """Call ``handler`` for every event of ``event_type`` (subclasses included).

        ``handler`` may be a plain function (run inline; keep it quick) or an ``async`` one
        (run by its own worker task, in order, never blocking the read loop). A handler of
        :class:`~realtime_kit.transports.TransportStateChanged` (media transports' ICE, DTLS,
        channel and track states) first gets the states reached so far. Use it directly
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
        # An event already waiting is handed over without an event-loop round trip.
        try:
            return await self._inbox.get()
        except anyio.EndOfStream:
            return self._end_of_events()

    def _end_of_events(self) -> Delivered:
        if self._error is not None:
            self._error_seen = True
            raise self._error from None
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Close gracefully: the socket with 1000, then the background tasks."""
        if self._closing:
            await self._done.wait()
            return
        self._closing = True
        with anyio.CancelScope(shield=True):
            if self._leg is not None:
                await self._leg.transport.aclose(1000, "client closed")
            # Async handlers finish the events already handed to them (bounded), then stop.
            slots = self._handlers.all()
            for slot in slots:
                slot.close()
            me = anyio.get_current_task().id
            with anyio.move_on_after(self._handler_drain_timeout):
                for slot in slots:
                    if slot.worker != me:  # a handler closing the connection: not itself
                        await slot.finished()
            self._finish()
            await self._tasks.wait()

    async def wait_closed(self) -> None:
        """Wait until the connection ends; raise the error that ended it, if any."""
        await self._done.wait()
        if self._error is not None:
            self._error_seen = True
            raise self._error

    # -- starting ----------------------------------------------------------------------------

    async def _start(
        self, tg: TaskGroup | None, session: Mapping[str, Any] | BaseModel | None
    ) -> None:
        self._tasks.task_group = tg
        leg, early = await self._dialer.open()
        self._install(leg)
        self._started = True
        for event in early:
            await self._deliver(event)
        if session is not None:
            update = session_update(self.kind, session)
            await leg.transport.send_text(leg.core.send(update))
            with anyio.fail_after(self._dialer.open_timeout):
                await await_update(leg, self._deliver)
        if self._rollover is not None:
            self._tasks.spawn(lambda: rollover_loop(self))
        self._attach(leg)

    def _attach(self, leg: Leg) -> None:
        """Start receiving on ``leg``: pushed by its transport, or by the one read-loop task."""
        if leg.media is not None:
            watch_states(self, leg)
        if leg.deliver_to is not None:
            leg.deliver_to(
                lambda item: self._on_pushed(leg, item),
                lambda closed: self._on_end(leg, closed),
            )
        elif not self._reading:
            self._reading = True
            self._tasks.spawn(self._run)

    async def _run(self) -> None:
        try:
            await self._read_loop()
        except RealtimeKitError as exc:
            self._fail(exc)
            return
        if not self._closing:
            self._finish()  # the server ended it; a local aclose() finishes by itself

    def _spawn_started(self, fn: Callable[[], Awaitable[None]]) -> None:
        if not self._started:
            raise LocalProtocolError("dispatch to an async handler", "connection not started")
        self._tasks.spawn(fn)

    # -- reading -----------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        """Pull-mode receiving, for transports that cannot push."""
        while not self._closing:
            leg = self._leg
            assert leg is not None
            item: str | RemoteProtocolError
            try:
                item = await leg.transport.receive_text()
            except ConnectionClosedError as exc:
                if leg is not self._leg or self._closing:
                    continue
                if exc.code == 1000:
                    return  # the server ended the session on purpose: a clean end
                await recover(self, leg, exc)
                continue
            except RemoteProtocolError as exc:
                item = exc
            if not self._on_message(leg, item):
                await self._inbox.wait_room()
            if leg.core.fatal is not None and leg is self._leg:
                fatal = leg.core.fatal
                await leg.transport.aclose(1000, "fatal error")
                raise fatal

    def _on_pushed(self, leg: Leg, item: str | RemoteProtocolError) -> None:
        """Push-mode receiving: called by the transport from its socket callback.

        There is no current task here (plain asyncio and uvloop call it from the loop's
        callback): nothing on this path may ask anyio for the running backend, and nothing may
        raise — an exception here would be lost in the loop's handler and the connection would
        hang. Whatever escapes ends the connection with that exception instead.
        """
        try:
            self._take_pushed(leg, item)
        except Exception as exc:  # noqa: BLE001 (ends the connection, not lost in the loop)
            self._fail(exc)

    def _take_pushed(self, leg: Leg, item: str | RemoteProtocolError) -> None:
        if leg.core.fatal is not None:
            return  # the session is over; its closing is under way
        if not self._on_message(leg, item) and leg is self._leg:
            pause = getattr(leg.transport, "pause_reading", None)
            resume = getattr(leg.transport, "resume_reading", None)
            if pause is not None and resume is not None:
                pause()  # ``async for`` is a whole buffer behind: let TCP push back
                self._inbox.on_room(resume)
        if leg.core.fatal is not None and leg is self._leg:
            fatal = leg.core.fatal

            async def end_fatally() -> None:
                await leg.transport.aclose(1000, "fatal error")
                raise fatal

            self._tasks.spawn(end_fatally)

    def _on_end(self, leg: Leg, closed: ConnectionClosedError) -> None:
        """Push mode: ``leg``'s connection ended (called once by its transport, from a socket
        or timer callback: the same rules as :meth:`_on_pushed`)."""
        try:
            if leg is not self._leg or self._closing or self._done.is_set():
                return
            if leg.core.fatal is not None:
                return  # ending on purpose after a fatal error (see ``_on_pushed``)
            if closed.code == 1000:
                self._finish()  # the server ended the session on purpose: a clean end
                return
            self._tasks.spawn(lambda: recover(self, leg, closed))
        except Exception as exc:  # noqa: BLE001 (ends the connection, not lost in the loop)
            self._fail(exc)

    def _on_message(self, leg: Leg, item: str | RemoteProtocolError) -> bool:
        """Decode one frame into ``leg``'s core and deliver it; ``False`` when the inbox is full.

        A frame that is the server's mistake (not text, not an event, or an event the session
        state cannot take) is recorded in ``leg.core.violations``, logged and skipped; the next
        frame is delivered as usual.
        """
        event = leg.receive(item)
        if event is None:
            return True
        if leg is not self._leg:
            return True
        if self.timeline is not None and self.timeline.observe(event) is not None:
            self._last_output = time.monotonic()  # a stamped delta: translation is flowing
        kind = event.type
        if kind == "input_audio_buffer.speech_stopped":
            leg.vad_end_ms = float(getattr(event, "audio_end_ms", 0))
        elif kind == "input_audio_buffer.committed":
            # A VAD commit takes the audio up to the end of speech; what was appended after
            # it is still in the server's buffer and must survive a reconnect.
            leg.forget_uncommitted(leg.vad_end_ms)
            leg.vad_end_ms = None
        return self._deliver_now(event)

    def _deliver_now(self, event: Delivered) -> bool:
        """Hand ``event`` to handlers and to ``async for``; ``False`` when the inbox is full."""
        if self.meter is not None:
            self._metered(event)  # billed even when nobody reads it any more (closing)
        if self._done.is_set() or self._closing:
            return True  # closing or ended: the caller asked for nothing more
        slots = self._handlers.cache.get(type(event))
        if slots is None:
            slots = self._handlers.slots_for(type(event))
        try:
            for slot in slots:
                slot.dispatch(event)
        except Exception as exc:  # noqa: BLE001 (a handler's own error ends the connection)
            self._fail(exc)
            return True
        return self._inbox.push(event)

    async def _deliver(self, event: Delivered) -> None:
        if not self._deliver_now(event):
            await self._inbox.wait_room()

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
        for slot in self._handlers.all():
            slot.close()
        self._tasks.cancel()

    def _release(self) -> None:
        """Free the queues once nobody can read them any more (after the ``async with``)."""
        self._finish()
        self._inbox.discard()
        self._outbox.discard()
        for slot in self._handlers.all():
            slot.release()

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
        slot, unsubscribe = self._handlers.subscribe(event_type, handler, self._spawn_started)
        if event_type is TransportStateChanged:
            replay_states(self._leg, slot)  # a state handler starts from the states so far
        return unsubscribe
