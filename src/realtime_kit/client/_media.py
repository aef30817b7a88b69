"""The connection's media side, for transports whose audio rides on tracks (WebRTC).

``send_audio`` goes to the transport's outbound track, ``audio_frames`` follows the inbound
track across reconnects, and the transport's network states reach
``conn.on(TransportStateChanged)`` handlers. Kept apart from ``connection`` to keep files
readable; these are the connection's own helpers.

The connection is seen through :class:`~realtime_kit.client._state.ConnectionState`. Imports:
anyio, numpy (for types), the standard library, ``audio``, ``errors``, ``events``, ``transports``
and the client's ``_dispatch``, ``_leg`` and ``_state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anyio

from realtime_kit.audio.frame import API_RATE, PCMFrame
from realtime_kit.client._dispatch import HandlerSlot
from realtime_kit.client._leg import Leg
from realtime_kit.client._state import ConnectionState
from realtime_kit.errors import ConnectionClosedError, LocalProtocolError
from realtime_kit.events._base import audio_buffer
from realtime_kit.transports.base import TransportStateChanged

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


__all__ = ["media_frames", "replay_states", "send_media", "watch_states"]


async def send_media(
    conn: ConnectionState,
    leg: Leg,
    audio: bytes | bytearray | memoryview | npt.NDArray[np.int16] | PCMFrame,
) -> None:
    """Queue ``audio`` on ``leg``'s outbound track (bytes and arrays: PCM16 mono 24 kHz)."""
    assert leg.media is not None
    frame = (
        audio
        if isinstance(audio, PCMFrame)
        else PCMFrame.from_bytes(audio_buffer(audio), API_RATE, 1)
    )
    try:
        await leg.media.send_audio(frame)
    except ConnectionClosedError:
        if leg is conn._leg and conn._done.is_set():
            conn._raise_closed()
        # Otherwise a reconnect is under way: this audio belonged to the lost call.


async def media_frames(conn: ConnectionState) -> AsyncIterator[PCMFrame]:
    """The inbound track's frames, from one call to the next, until the connection ends."""
    while not conn._done.is_set():
        leg = conn._leg
        if leg is None or leg.media is None:
            raise LocalProtocolError(
                "read audio_frames()",
                "audio arrives as response.output_audio.delta events on this transport",
            )
        async for frame in leg.media.audio_frames():
            yield frame
        if leg is conn._leg:
            # This call's track ended: a reconnect installs a new leg, or the end comes.
            await _next_leg_or_end(conn)


async def _next_leg_or_end(conn: ConnectionState) -> None:
    changed = conn._leg_changed
    async with anyio.create_task_group() as tg:

        async def until_done() -> None:
            await conn._done.wait()
            tg.cancel_scope.cancel()

        tg.start_soon(until_done)
        await changed.wait()
        tg.cancel_scope.cancel()


def watch_states(conn: ConnectionState, leg: Leg) -> None:
    """Send ``leg``'s network states (those seen while opening first) to the handlers."""
    assert leg.media is not None
    for change in getattr(leg.transport, "state_log", ()):
        _on_state(conn, leg, change)
    leg.media.on_state(lambda change: _on_state(conn, leg, change))


def _on_state(conn: ConnectionState, leg: Leg, change: TransportStateChanged) -> None:
    # Handlers only: ``async for`` carries the session's events.
    if leg is not conn._leg or conn._done.is_set() or conn._closing:
        return
    try:
        for slot in conn._handlers.slots_for(TransportStateChanged):
            slot.dispatch(change)
    except Exception as exc:  # noqa: BLE001 (a handler's own error ends the connection)
        conn._fail(exc)


def replay_states(leg: Leg | None, slot: HandlerSlot) -> None:
    """A new state handler first gets the states the current transport went through."""
    if leg is not None and leg.media is not None:
        for change in getattr(leg.transport, "state_log", ()):
            slot.dispatch(change)
