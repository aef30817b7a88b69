"""Writing: a connection's events go out in order, at once when the socket takes them.

:func:`send_checked` writes an event its session's core has checked: straight to the socket when
nothing is queued and the transport can write without waiting, else through the connection's
bounded outbox, which one writer task (:func:`write_queued`) drains in order. When the socket is
slow, ``send`` waits for room (backpressure) instead of buffering without limit; an event queued
during a reconnect goes to the new session (re-checked by its core, or reported in
``dropped_after_restore`` when the new state refuses it). What was written is noted for a
restore (uncommitted input audio, the translation timeline). These functions are the
connection's own helpers, kept apart to keep files readable.

The connection is seen through :class:`~realtime_kit.client._state.ConnectionState`. Imports:
anyio, the standard library, ``errors``, ``events``, ``protocol`` and the client's ``_leg`` and
``_state``.
"""

from __future__ import annotations

import logging
from functools import partial

import anyio

from realtime_kit.client._leg import Leg
from realtime_kit.client._state import ConnectionState
from realtime_kit.errors import ConnectionClosedError, LocalProtocolError
from realtime_kit.events import ClientEvent, SessionInputAudioBufferAppendEvent
from realtime_kit.protocol import LostState

__all__ = ["audio_written", "send_checked", "write_queued", "written"]

_log = logging.getLogger("realtime_kit.client")

_AUDIO_APPENDS = ("input_audio_buffer.append",)
_AUDIO_RESETS = ("input_audio_buffer.commit", "input_audio_buffer.clear")


async def send_checked(conn: ConnectionState, leg: Leg, event: ClientEvent, data: bytes) -> None:
    """Write ``event`` (already checked by ``leg``'s core into ``data``) or queue it."""
    if leg.max_bytes is not None and len(data) > leg.max_bytes:
        raise LocalProtocolError(
            f"send a {len(data)}-byte {event.type}",
            f"the transport takes at most {leg.max_bytes} bytes per event",
        )
    if conn._unwritten == 0 and not conn._write_lock.locked():
        # Fast path: nothing queued, nobody writing. A transport that can write at once
        # does (no event-loop round trip); on a closed socket fall through to the queue,
        # whose writer delivers the event to the next session.
        try:
            sent = leg.try_send is not None and leg.try_send(data)
        except ConnectionClosedError:
            sent = None
        if sent:
            written(conn, leg, event)
            return
        if sent is False:
            async with conn._write_lock:
                if leg is conn._leg and await _try_write(leg, data):
                    written(conn, leg, event)
                    return
    conn._unwritten += 1
    if not conn._writer_started:
        conn._writer_started = True
        conn._tasks.spawn(partial(write_queued, conn))
    try:
        await conn._outbox.put((leg.generation, event, data))
    except anyio.ClosedResourceError:
        conn._unwritten -= 1
        conn._raise_closed()


async def _try_write(leg: Leg, data: bytes) -> bool:
    try:
        await leg.transport.send_text(data)
    except ConnectionClosedError:
        return False
    return True


def audio_written(
    conn: ConnectionState, leg: Leg, encoded: str, buffer: bytes | bytearray | memoryview
) -> None:
    """Note an audio append written by ``send_audio``'s fast path (for a restore, the meter)."""
    conn._metered_audio(len(buffer))
    if conn.timeline is not None:
        conn.timeline.append(buffer)
    else:
        leg.appended(encoded)


def written(conn: ConnectionState, leg: Leg, event: ClientEvent) -> None:
    """Note what a written event changes for a restore (uncommitted or translated audio) and
    for the meter."""
    conn._metered(event)
    kind = event.type
    if kind in _AUDIO_APPENDS:
        leg.appended(getattr(event, "audio", None) or "")
    elif kind in _AUDIO_RESETS:
        leg.forget_uncommitted()
    elif conn.timeline is not None and isinstance(event, SessionInputAudioBufferAppendEvent):
        conn.timeline.append(event)


async def write_queued(conn: ConnectionState) -> None:
    """The writer task: write the queued events in order, each to the session current when it
    goes out (re-checked by that session's core); returns once the outbox is closed and drained.
    """
    while True:
        try:
            generation, event, data = await conn._outbox.get()
        except anyio.EndOfStream:
            return
        try:
            while True:
                leg = conn._leg
                assert leg is not None
                if generation != leg.generation:
                    try:
                        data = leg.core.send(event)
                    except LocalProtocolError as exc:
                        _log.warning("queued %s dropped after a restore: %s", event.type, exc)
                        lost = LostState(f"queued {event.type}", str(exc))
                        conn.dropped_after_restore.append(lost)
                        break
                    generation = leg.generation
                async with conn._write_lock:
                    try:
                        await leg.transport.send_text(data)
                    except ConnectionClosedError:
                        waiter = conn._leg_changed
                    else:
                        written(conn, leg, event)
                        break
                await waiter.wait()
        finally:
            conn._unwritten -= 1
