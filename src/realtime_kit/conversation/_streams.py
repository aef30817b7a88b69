"""What a conversation hands out: a :class:`ResponseHandle` per requested response, and the
iterators behind ``conversation.events()`` and ``conversation.audio()``.

The iterators are objects, not async generators: leaving an ``async for`` early then never
leaves a half-finished generator for the garbage collector (which trio reports as an error).

Imports: anyio, the standard library and sibling modules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from realtime_kit.conversation._events import (
    AssistantAudio,
    ConversationClosed,
    ConversationEvent,
    ResponseDone,
)
from realtime_kit.conversation._playout import AppPlayback
from realtime_kit.conversation._scheduler import ResponseRequest

__all__ = ["AudioStream", "EventStream", "ResponseHandle"]


class ResponseHandle:
    """A requested response: await :meth:`wait` for its :class:`ResponseDone`."""

    def __init__(self, request: ResponseRequest, cancel: Callable[[str], Awaitable[bool]]) -> None:
        self._cancel = cancel
        self._request = request
        self._done = anyio.Event()
        self._result: ResponseDone | None = None

    @property
    def request_id(self) -> str:
        """Our id for the request (``req_…``)."""
        return self._request.request_id

    @property
    def response_id(self) -> str | None:
        """The server's ``resp_…`` id once the response started."""
        return self._request.response_id

    @property
    def state(self) -> str:
        """``queued``, ``sent``, ``active``, ``done``, ``cancelled``, ``failed`` or
        ``superseded``."""
        return self._request.state

    @property
    def result(self) -> ResponseDone | None:
        """The response's :class:`ResponseDone` once it finished."""
        return self._result

    async def wait(self) -> ResponseDone | None:
        """Wait until the response finished (None if it never ran: cancelled while queued,
        refused, or lost in a reconnect — :attr:`state` says which)."""
        await self._done.wait()
        return self._result

    async def cancel(self) -> bool:
        """Cancel it (queued: dropped; running: ``response.cancel``). False if already over."""
        return await self._cancel(self.request_id)

    def _finish(self, result: ResponseDone | None) -> None:
        self._result = result
        self._done.set()


class EventStream:
    """``conversation.events()``: an iterator object (not a generator), so leaving an
    ``async for`` early never leaves a half-finished generator for the garbage collector."""

    def __init__(
        self, next_event: Callable[[bool], Awaitable[ConversationEvent]], raw: bool
    ) -> None:
        self._next_event = next_event
        self._raw = raw
        self._ended = False

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ConversationEvent:
        if self._ended:
            raise StopAsyncIteration
        event = await self._next_event(self._raw)
        if isinstance(event, ConversationClosed):
            self._ended = True
        return event


class AudioStream:
    """``conversation.audio()``: assistant audio frames as :class:`AssistantAudio`."""

    def __init__(self, playback: AppPlayback, response_of: Callable[[str], str]) -> None:
        self._playback = playback
        self._response_of = response_of

    def __aiter__(self) -> AudioStream:
        return self

    async def __anext__(self) -> AssistantAudio:
        item = await self._playback.next_frame()
        if item is None:
            raise StopAsyncIteration
        frame, item_id, content_index = item
        return AssistantAudio(item_id, self._response_of(item_id), content_index, frame)
