"""Fault injection for the fake server, scriptable from tests, global or per connection.

A :class:`Faults` object holds rules; the server consults the global one (``server.faults``) and the
connection's own (``handle.faults``) before every frame it sends and every REST answer it gives.
All methods are thread-safe: tests call them from their own thread while the server runs.

Frame rules match a server event ``type`` (``"*"`` for any) and fire on its ``nth`` occurrence
(counted per connection), once:

* :meth:`Faults.drop_on` — abort the TCP connection instead of sending it (the client sees 1006);
* :meth:`Faults.close_on` — close with any code and reason instead of sending it;
* :meth:`Faults.delay` — send it ``seconds`` late (real time: the wire is really late);
* :meth:`Faults.stall` — stop sending from it on until :meth:`Faults.release`;
* :meth:`Faults.error_after` — send an ``error`` event right after it.

Session rules: :meth:`Faults.fail_responses` (``response.done`` with ``status: "failed"``),
:meth:`Faults.reject_truncate`, :meth:`Faults.late_transcriptions` (transcripts held
until the response after them is done), :meth:`Faults.out_of_order_transcriptions` (each turn's
transcript held until the next turn's is sent), :meth:`Faults.fail_transcriptions`.
REST rules: :meth:`Faults.rest_error` (401/429/500 with the real error body shape).

Imports: the standard library only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Faults", "FrameAction", "RestFault", "error_payload", "rest_error_body"]


@dataclass
class FrameAction:
    """What to do with one outgoing frame (the merged result of all matching rules)."""

    drop: bool = False
    close: tuple[int, str] | None = None
    delay: float = 0.0
    stall: bool = False
    errors_after: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _FrameRule:
    kind: str
    event_type: str
    nth: int
    payload: Any = None
    fired: bool = False


@dataclass(frozen=True)
class RestFault:
    """An HTTP error answer for matching REST requests."""

    status: int
    code: str | None
    message: str
    path_contains: str


_REST_DEFAULTS = {
    401: ("invalid_api_key", "Incorrect API key provided.", "invalid_request_error"),
    429: ("rate_limit_exceeded", "Rate limit reached for requests.", "requests"),
    500: (None, "The server had an error while processing your request.", "server_error"),
}

_ERROR_DEFAULTS = {
    "server_error": ("server_error", "The server had an error while processing your request."),
    "rate_limit_exceeded": ("rate_limit_exceeded", "Rate limit reached for tokens."),
    "insufficient_quota": (
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
}


def error_payload(
    kind: str, *, code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    """An ``error`` object for ``kind`` (server_error, rate_limit_exceeded, insufficient_quota,
    or any ``error.type``), with the real server's usual code and message unless given."""
    default_code, default_message = _ERROR_DEFAULTS.get(kind, (code, message or kind))
    err_type = {
        "rate_limit_exceeded": "invalid_request_error",
        "server_error": "server_error",
        "insufficient_quota": "insufficient_quota",
    }.get(kind, kind)
    return {
        "type": err_type,
        "code": code if code is not None else default_code,
        "message": message if message is not None else default_message,
        "param": None,
        "event_id": None,
    }


class Faults:
    """A thread-safe set of fault rules. See the module docstring for the catalogue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_FrameRule] = []
        self._stalled = threading.Event()
        self._stalled.set()  # set = flowing
        self._truncate_rejections: list[str] = []
        self._rest: list[list[Any]] = []  # [RestFault, remaining]
        self.transcription_mode = "normal"  # normal | late | out_of_order
        self._transcription_failures = 0
        self._response_failures: list[dict[str, Any]] = []

    # frame rules -----------------------------------------------------------------------------
    def _add(self, kind: str, event_type: str, nth: int, payload: Any = None) -> None:
        if nth < 1:
            raise ValueError(f"nth counts from 1, got {nth}")
        with self._lock:
            self._rules.append(_FrameRule(kind, event_type, nth, payload))

    def drop_on(self, event_type: str, *, nth: int = 1) -> None:
        """Abort the socket (no close frame: the client sees 1006) instead of sending this event."""
        self._add("drop", event_type, nth)

    def close_on(self, event_type: str, code: int, reason: str = "", *, nth: int = 1) -> None:
        """Close the socket with ``code``/``reason`` instead of sending this event."""
        self._add("close", event_type, nth, (code, reason))

    def delay(self, event_type: str, seconds: float, *, nth: int = 1) -> None:
        """Send this event ``seconds`` late (real time)."""
        self._add("delay", event_type, nth, seconds)

    def stall(self, event_type: str, *, nth: int = 1) -> None:
        """Stop sending, starting with this event, until :meth:`release`."""
        self._add("stall", event_type, nth)

    def release(self) -> None:
        """Let stalled frames flow again; a stall rule that has not fired yet is dropped too.

        (A test that saw the event *before* the stalled one and then releases must not race the
        server to that frame: the release wins either way.)
        """
        with self._lock:
            for rule in self._rules:
                if rule.kind == "stall":
                    rule.fired = True
            self._stalled.set()

    def error_after(
        self,
        event_type: str,
        kind: str = "server_error",
        *,
        code: str | None = None,
        message: str | None = None,
        nth: int = 1,
    ) -> None:
        """Send an ``error`` event (``kind``: server_error, rate_limit_exceeded,
        insufficient_quota, …) right after this event."""
        self._add("error", event_type, nth, error_payload(kind, code=code, message=message))

    def on_frame(self, event_type: str, count: int) -> FrameAction:
        """The action for the ``count``-th frame of ``event_type`` on a connection (server use)."""
        action = FrameAction()
        with self._lock:
            for rule in self._rules:
                if rule.fired or rule.event_type not in (event_type, "*") or rule.nth != count:
                    continue
                rule.fired = True
                if rule.kind == "drop":
                    action.drop = True
                elif rule.kind == "close":
                    action.close = rule.payload
                elif rule.kind == "delay":
                    action.delay += rule.payload
                elif rule.kind == "stall":
                    action.stall = True
                    self._stalled.clear()
                elif rule.kind == "error":
                    action.errors_after.append(rule.payload)
        return action

    def flowing(self) -> bool:
        """False while a stall is in force."""
        return self._stalled.is_set()

    # session rules ---------------------------------------------------------------------------
    def reject_truncate(self, message: str = "Truncation is not possible right now.") -> None:
        """Answer the next ``conversation.item.truncate`` with an error."""
        with self._lock:
            self._truncate_rejections.append(message)

    def take_truncate_rejection(self) -> str | None:
        with self._lock:
            return self._truncate_rejections.pop(0) if self._truncate_rejections else None

    def late_transcriptions(self) -> None:
        """Hold input transcripts until the response that follows their turn is done."""
        self.transcription_mode = "late"

    def out_of_order_transcriptions(self) -> None:
        """Deliver each turn's transcript only after the next turn's."""
        self.transcription_mode = "out_of_order"

    def fail_transcriptions(self, count: int = 1) -> None:
        """Make the next ``count`` input transcriptions fail (``…transcription.failed``)."""
        with self._lock:
            self._transcription_failures += count

    def take_transcription_failure(self) -> bool:
        with self._lock:
            if self._transcription_failures > 0:
                self._transcription_failures -= 1
                return True
            return False

    def fail_responses(
        self, kind: str = "server_error", *, count: int = 1, message: str | None = None
    ) -> None:
        """End the next ``count`` responses with ``status: "failed"`` and this error in
        ``status_details.error`` (how the real server reports response-level failures)."""
        payload = error_payload(kind, message=message)
        with self._lock:
            self._response_failures.extend([payload] * count)

    def take_response_failure(self) -> dict[str, Any] | None:
        with self._lock:
            return self._response_failures.pop(0) if self._response_failures else None

    # REST rules ------------------------------------------------------------------------------
    def rest_error(
        self,
        status: int,
        *,
        path_contains: str = "",
        times: int = 1,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` REST requests whose path contains ``path_contains`` with
        ``status`` (401, 429, 500 get the real codes and messages by default)."""
        d_code, d_message, _ = _REST_DEFAULTS.get(status, (None, f"HTTP {status}", "api_error"))
        fault = RestFault(status, code or d_code, message or d_message, path_contains)
        with self._lock:
            self._rest.append([fault, times])

    def take_rest_fault(self, path: str) -> RestFault | None:
        with self._lock:
            for entry in self._rest:
                fault, remaining = entry
                if remaining > 0 and fault.path_contains in path:
                    entry[1] = remaining - 1
                    return fault  # type: ignore[no-any-return]
        return None


def rest_error_body(fault: RestFault) -> dict[str, Any]:
    """The JSON body of an HTTP error answer, in the API's usual shape."""
    err_type = _REST_DEFAULTS.get(fault.status, (None, None, "api_error"))[2]
    if fault.status == 429:
        err_type = "requests"
    return {
        "error": {"message": fault.message, "type": err_type, "param": None, "code": fault.code}
    }
