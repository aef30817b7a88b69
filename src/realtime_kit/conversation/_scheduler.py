"""The response scheduler: the one place that sends ``response.create``.

Only one response may write to the default conversation at a time; a second ``response.create``
gets ``conversation_already_has_active_response`` (PROTOCOL.md §4c). The server also starts
responses by itself (VAD with ``create_response``). So requests are queued here and sent only
when the default conversation is free: no response active or requested, the user not speaking,
no server response expected after a VAD commit, and nothing holding the queue (a barge-in being
written, tool outputs not all in). Out-of-band requests (``conversation: "none"``) may run beside
others and go out at once. Each request is tagged in its ``metadata`` (``rk_request``) so the
response the server creates is matched to it exactly; if the server still refuses one because
it raced a response of its own, the request goes back to the head of the queue.

A request made for tool outputs (``kind="tool_followup"``) is dropped as *superseded* when a
default response started after the outputs were added: the model has already seen them.

Sans-I/O: the caller passes the time, sends what :meth:`ResponseScheduler.ready` returns, and
feeds back what the server said.

Imports: the standard library, ``errors`` and ``events``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from realtime_kit.errors import ConfigurationError
from realtime_kit.events import (
    ResponseCancelEvent,
    ResponseCreatedEvent,
    ResponseCreateEvent,
    ResponseDoneEvent,
)

__all__ = ["RequestState", "ResponseRequest", "ResponseScheduler"]

TAG: Final = "rk_request"
_MAX_METADATA: Final = 16
RequestState = Literal["queued", "sent", "active", "done", "cancelled", "failed", "superseded"]
_FINAL: Final = frozenset({"done", "cancelled", "failed", "superseded"})


@dataclass(slots=True)
class ResponseRequest:
    """One request for a response, from queueing to ``response.done``."""

    request_id: str
    params: dict[str, Any]
    kind: Literal["app", "tool_followup", "say", "filler", "wrap_up"] = "app"
    state: RequestState = "queued"
    response_id: str | None = None
    event_id: str | None = None
    status: str | None = None
    error: str | None = None
    queued_at: float = 0.0
    tagged: bool = False
    cancel_requested: bool = field(default=False)
    cancel_sent: bool = field(default=False)

    @property
    def out_of_band(self) -> bool:
        """Runs outside the default conversation (``conversation: "none"``)."""
        return self.params.get("conversation") == "none"

    @property
    def finished(self) -> bool:
        """Done, cancelled, failed or superseded."""
        return self.state in _FINAL


class ResponseScheduler:
    """Queue of response requests; see the module docstring.

    Args:
        server_grace: seconds to wait for a response the server is expected to start by itself
            (after a VAD commit with ``create_response``) before sending queued ones anyway.
    """

    def __init__(self, *, server_grace: float = 3.0) -> None:
        self._ids = itertools.count(1)
        self._queue: deque[ResponseRequest] = deque()
        self._requests: dict[str, ResponseRequest] = {}
        self._by_response: dict[str, ResponseRequest] = {}
        self._default_active: str | None = None  # response id writing to the default conversation
        self._default_sent: ResponseRequest | None = None  # ours, sent, not yet created
        self._expect_until: float | None = None
        self._server_grace = server_grace
        self._holds: set[str] = set()
        self._user_speaking = False
        self._default_started = 0  # default responses started, to spot superseded follow-ups
        self._followup_mark: dict[str, int] = {}

    # -- requests ----------------------------------------------------------------------------

    def request(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        kind: Literal["app", "tool_followup", "say", "filler", "wrap_up"] = "app",
        now: float = 0.0,
    ) -> ResponseRequest:
        """Queue a request (``params`` = the ``response`` object of ``response.create``)."""
        body = dict(params or {})
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ConfigurationError("response metadata must be a mapping of strings")
        req = ResponseRequest(f"req_{next(self._ids)}", body, kind=kind, queued_at=now)
        tags = dict(metadata or {})
        if TAG in tags:
            raise ConfigurationError(f"metadata key {TAG!r} is reserved by realtime_kit")
        if len(tags) < _MAX_METADATA:
            tags[TAG] = req.request_id
            req.tagged = True
        if tags:
            body["metadata"] = tags
        self._requests[req.request_id] = req
        if kind == "tool_followup":
            self._followup_mark[req.request_id] = self._default_started
        self._queue.append(req)
        return req

    def get(self, request_id: str) -> ResponseRequest | None:
        """A request by id."""
        return self._requests.get(request_id)

    @property
    def queued(self) -> list[ResponseRequest]:
        """Requests waiting to be sent, in order."""
        return list(self._queue)

    @property
    def has_queued(self) -> bool:
        """Some request waits to be sent."""
        return bool(self._queue)

    @property
    def default_busy(self) -> bool:
        """A response is writing to (or was requested for) the default conversation."""
        return self._default_active is not None or self._default_sent is not None

    @property
    def active_response_id(self) -> str | None:
        """The response writing to the default conversation, if any."""
        return self._default_active

    # -- what may go out ---------------------------------------------------------------------

    def hold(self, reason: str) -> None:
        """Keep default requests queued until :meth:`release` with the same reason."""
        self._holds.add(reason)

    def release(self, reason: str) -> None:
        """Undo one :meth:`hold`."""
        self._holds.discard(reason)

    def user_speaking(self, speaking: bool) -> None:
        """The server's VAD says the user started (True) or stopped (False) speaking."""
        self._user_speaking = speaking

    def expect_server_response(self, now: float) -> None:
        """A VAD commit will make the server start a response by itself."""
        self._expect_until = now + self._server_grace

    def ready(self, now: float) -> list[tuple[ResponseRequest, ResponseCreateEvent]]:
        """Requests to send now, each with its event; next: send them in order, then
        :meth:`sent` with the ``event_id`` each got."""
        out: list[tuple[ResponseRequest, ResponseCreateEvent]] = []
        if self._expect_until is not None and now >= self._expect_until:
            self._expect_until = None
        for req in list(self._queue):
            if req.out_of_band:
                self._queue.remove(req)
                out.append((req, self._event(req)))
                continue
            if req.kind == "tool_followup" and self._default_started > self._followup_mark.get(
                req.request_id, 0
            ):
                self._queue.remove(req)
                req.state = "superseded"
                continue
            if (
                self._default_active is not None
                or self._default_sent is not None
                or self._holds
                or self._user_speaking
                or self._expect_until is not None
                or any(r.state == "sent" for r, _ in out if not r.out_of_band)
            ):
                continue
            self._queue.remove(req)
            out.append((req, self._event(req)))
            self._default_sent = req
        return out

    def sent(self, req: ResponseRequest, event_id: str | None) -> None:
        """``req``'s ``response.create`` went out with ``event_id``."""
        req.state = "sent"
        req.event_id = event_id

    def _event(self, req: ResponseRequest) -> ResponseCreateEvent:
        req.state = "sent"
        if not req.params:
            return ResponseCreateEvent()
        return ResponseCreateEvent.model_validate(
            {"type": "response.create", "response": req.params}
        )

    # -- what the server said ----------------------------------------------------------------

    def created(self, event: ResponseCreatedEvent) -> ResponseRequest | None:
        """A response started; returns our request it answers, if any."""
        response = event.response
        response_id = response.id or ""
        out_of_band = (
            "conversation_id" in response.model_fields_set and response.conversation_id is None
        )
        tag = (response.metadata or {}).get(TAG) if response.metadata else None
        req = self._requests.get(tag) if tag else None
        if (
            req is None
            and not out_of_band
            and self._default_sent is not None
            and not self._default_sent.tagged
        ):
            req = self._default_sent
        if req is not None:
            req.state = "active"
            req.response_id = response_id
            self._by_response[response_id] = req
            if self._default_sent is req:
                self._default_sent = None
        if not out_of_band and (req is None or not req.out_of_band):
            self._default_active = response_id
            self._expect_until = None
            self._default_started += 1
        return req

    def done(self, event: ResponseDoneEvent) -> ResponseRequest | None:
        """A response ended; returns our request it answers, if any."""
        response = event.response
        response_id = response.id or ""
        if self._default_active == response_id:
            self._default_active = None
        req = self._by_response.pop(response_id, None)
        if req is not None:
            status = response.status or "completed"
            req.status = status
            req.state = "cancelled" if status == "cancelled" else "done"
            if status == "failed":
                req.state = "failed"
                details = response.status_details
                error = details.error if details is not None else None
                req.error = getattr(error, "message", None) or "response failed"
        return req

    def refused(self, event_id: str, code: str | None, message: str) -> ResponseRequest | None:
        """The server answered our ``response.create`` ``event_id`` with an ``error``.

        ``conversation_already_has_active_response`` puts the request back at the head of the
        queue (it raced a server response); anything else fails it.
        """
        req = next(
            (r for r in self._requests.values() if r.event_id == event_id and r.state == "sent"),
            None,
        )
        if req is None:
            return None
        if self._default_sent is req:
            self._default_sent = None
        if code == "conversation_already_has_active_response":
            req.state = "queued"
            req.event_id = None
            self._queue.appendleft(req)
            return req
        req.state = "failed"
        req.error = message
        return req

    def session_replaced(self) -> list[ResponseRequest]:
        """A reconnect or rollover: responses in flight are gone. Returns the ones lost.

        Requests that were sent but not yet created go back to the queue (the new session never
        saw them); active ones are reported lost.
        """
        lost: list[ResponseRequest] = []
        if self._default_sent is not None:
            req = self._default_sent
            req.state = "queued"
            req.event_id = None
            self._queue.appendleft(req)
            self._default_sent = None
        for response_id, req in list(self._by_response.items()):
            req.state = "failed"
            req.error = "the session was replaced while this response ran"
            lost.append(req)
            del self._by_response[response_id]
        self._default_active = None
        self._expect_until = None
        self._user_speaking = False
        return lost

    # -- cancelling --------------------------------------------------------------------------

    def cancel(self, target: str | None = None) -> ResponseCancelEvent | None:
        """Cancel a request (by request id) or a response (by response id; None = the active
        default one). Returns the event to send, or None when there is nothing to send (a queued
        request is simply dropped; a response already cancelled or finished needs nothing).
        """
        if target is not None:
            req = self._requests.get(target)
            if req is not None and req.state == "queued":
                self._queue.remove(req)
                req.state = "cancelled"
                return None
            if req is not None and req.state == "sent":
                # Not created yet: cancel it as soon as it is (see ``cancel_pending``).
                req.cancel_requested = True
                return None
            response_id = req.response_id if req is not None else target
        else:
            response_id = self._default_active
        if response_id is None:
            return None
        req = self._by_response.get(response_id)
        if req is not None:
            if req.cancel_sent or req.finished:
                return None
            req.cancel_sent = True
        elif response_id != self._default_active:
            return None
        return ResponseCancelEvent(response_id=response_id)

    def cancel_pending(self, req: ResponseRequest) -> ResponseCancelEvent | None:
        """After :meth:`created`: the cancel asked for while ``req`` was still on its way."""
        wanted = req.cancel_requested and not req.cancel_sent
        if wanted and req.response_id is not None and req.state == "active":
            req.cancel_sent = True
            return ResponseCancelEvent(response_id=req.response_id)
        return None
