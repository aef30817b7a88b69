"""The whole exception tree of realtime_kit.

Every error the library raises derives from :class:`RealtimeKitError`; foreign exceptions
(websockets, httpx, pydantic, aiortc, json) are translated at the edge and chained as
``__cause__``. The classes say *who broke the rules*: the caller (local), the server (remote),
the network, or the money.

```
RealtimeKitError
├── ConfigurationError            bad arguments, missing API key, unknown model
│   ├── MissingExtraError         an optional extra (webrtc, audio, cli, testing) is not installed
│   └── UnsupportedLanguageError  a translation target language not on the language list
├── DecodeError                   bytes from the wire that are not a valid event
├── EncodeError                   an object that cannot be written as an event
├── LocalProtocolError            the caller tried an action the session state forbids
├── RemoteProtocolError           the server broke the protocol (unexpected or inconsistent event)
├── TransportError                the network: handshake, socket, TLS
│   ├── HandshakeError            the server refused the connection (HTTP status, close code)
│   └── ConnectionClosedError     the connection ended (close code and reason)
├── SessionFatalError             an ``error`` event the session cannot survive (data is kept)
│   ├── AuthenticationError       invalid_api_key and kin
│   ├── QuotaExceededError        insufficient_quota
│   └── SessionExpiredError       the 60-minute cap
├── APIError                      a REST call failed (status, request id, body)
│   ├── APIStatusError            non-2xx answer
│   │   ├── RateLimitError        429
│   │   └── APIAuthenticationError 401/403
│   └── APIConnectionError        no answer at all
├── WebhookVerificationError      a webhook whose signature, id or timestamp does not verify
├── AudioError                    audio in the wrong shape (rate, width, channels, length)
│   └── AudioDeviceError          PortAudio or a device is missing
├── ToolError                     a tool call that could not give the model a normal result
│   ├── ToolArgumentsError        the model's arguments do not fit the tool's schema
│   ├── ToolTimeoutError          the tool ran past its timeout and was stopped (or abandoned)
│   └── ToolOutputError           the tool's result cannot be written as an output string
└── CostError
    ├── UnpricedModelError        no price card for a model
    └── BudgetExceededError       a hard budget stop was reached
```

This module imports nothing from the rest of the package.
"""

from __future__ import annotations

__all__ = [
    "APIAuthenticationError",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "AudioDeviceError",
    "AudioError",
    "AuthenticationError",
    "BudgetExceededError",
    "ConfigurationError",
    "ConnectionClosedError",
    "CostError",
    "DecodeError",
    "EncodeError",
    "HandshakeError",
    "LocalProtocolError",
    "MissingExtraError",
    "QuotaExceededError",
    "RateLimitError",
    "RealtimeKitError",
    "RemoteProtocolError",
    "SessionExpiredError",
    "SessionFatalError",
    "ToolArgumentsError",
    "ToolError",
    "ToolOutputError",
    "ToolTimeoutError",
    "TransportError",
    "UnpricedModelError",
    "UnsupportedLanguageError",
    "WebhookVerificationError",
]


class RealtimeKitError(Exception):
    """Base class of every error raised by realtime_kit."""


class ConfigurationError(RealtimeKitError, ValueError):
    """The caller configured something that cannot work (missing key, bad URL, unknown model)."""


class MissingExtraError(ConfigurationError, ImportError):
    """An optional dependency group is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        self.extra = extra
        self.module = module
        super().__init__(
            f"{module!r} is not installed; install it with: pip install 'realtime-kit[{extra}]'"
        )


class UnsupportedLanguageError(ConfigurationError):
    """A translation target language that is not on the supported-language list.

    ``language`` is the code asked for, ``supported`` the codes of the list in use and ``source``
    where that list comes from.
    """

    def __init__(self, language: str, supported: tuple[str, ...], source: str) -> None:
        self.language = language
        self.supported = supported
        self.source = source
        super().__init__(
            f"unsupported translation target language {language!r}; supported: "
            f"{', '.join(supported)} (list from {source}; pass unknown_language='allow' to send "
            "it anyway)"
        )


class DecodeError(RealtimeKitError, ValueError):
    """Bytes that are not a valid event.

    ``event_type`` is the ``type`` of the event when one could be read; ``field`` is the dotted
    path of the first offending field when the payload was a known event with a wrong field.
    """

    def __init__(
        self, message: str, *, event_type: str | None = None, field: str | None = None
    ) -> None:
        self.event_type = event_type
        self.field = field
        parts = [message]
        if event_type is not None:
            parts.append(f"event type {event_type!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        super().__init__("; ".join(parts))


class EncodeError(RealtimeKitError, ValueError):
    """An object that cannot be written as an event."""


class LocalProtocolError(RealtimeKitError):
    """The caller tried an action that the session state forbids.

    ``action`` names what was tried and ``state`` the state it was tried in.
    """

    def __init__(self, action: str, state: str, detail: str | None = None) -> None:
        self.action = action
        self.state = state
        self.detail = detail
        message = f"cannot {action} while {state}"
        if detail:
            message += f": {detail}"
        super().__init__(message)


class RemoteProtocolError(RealtimeKitError):
    """The server sent something the protocol does not allow."""


class TransportError(RealtimeKitError, OSError):
    """The network failed: DNS, TCP, TLS, or the WebSocket layer."""


class HandshakeError(TransportError):
    """The server refused to open the connection."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.reason = reason
        self.request_id = request_id
        super().__init__(message)


class ConnectionClosedError(TransportError):
    """The connection ended. ``code`` and ``reason`` are the WebSocket close frame's."""

    def __init__(self, code: int | None, reason: str = "", *, recoverable: bool = False) -> None:
        self.code = code
        self.reason = reason
        self.recoverable = recoverable
        super().__init__(f"connection closed (code={code}, reason={reason!r})")


class SessionFatalError(RealtimeKitError):
    """An ``error`` event the session cannot survive. The server's fields are kept verbatim."""

    def __init__(
        self,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        event_id: str | None = None,
    ) -> None:
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.event_id = event_id
        super().__init__(f"{type or 'error'}/{code or '-'}: {message}")


class AuthenticationError(SessionFatalError):
    """The server rejected the credentials (``invalid_api_key`` and kin)."""


class QuotaExceededError(SessionFatalError):
    """The account is out of quota (``insufficient_quota``)."""


class SessionExpiredError(SessionFatalError):
    """The session hit its maximum duration (``session_expired``)."""


class APIError(RealtimeKitError):
    """A REST request failed."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        self.request_id = request_id
        super().__init__(message if request_id is None else f"{message} (request id {request_id})")


class APIStatusError(APIError):
    """The server answered with a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        body: object = None,
        code: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.code = code
        super().__init__(f"HTTP {status_code}: {message}", request_id=request_id)


class RateLimitError(APIStatusError):
    """HTTP 429."""


class APIAuthenticationError(APIStatusError):
    """HTTP 401 or 403."""


class APIConnectionError(APIError):
    """The request got no answer (connect error, timeout)."""


class WebhookVerificationError(RealtimeKitError):
    """A webhook request whose headers or signature do not verify."""


class AudioError(RealtimeKitError, ValueError):
    """Audio in a shape that cannot be used (rate, sample width, channels, odd byte count)."""


class AudioDeviceError(AudioError):
    """No audio device, or no PortAudio library."""


class ToolError(RealtimeKitError):
    """Base of the errors of a tool call. ``tool`` names the tool, ``call_id`` the call if known.

    The message is written for the model as well as for the app: it never carries argument
    values, tracebacks or credentials.
    """

    def __init__(self, message: str, *, tool: str, call_id: str | None = None) -> None:
        self.tool = tool
        self.call_id = call_id
        super().__init__(message)


class ToolArgumentsError(ToolError, ValueError):
    """The model's arguments are not valid JSON, not an object, or do not fit the schema.

    ``problems`` lists ``(dotted path, message)`` pairs, one per offending field (the path is
    empty when the arguments as a whole are wrong).
    """

    def __init__(
        self,
        message: str,
        *,
        tool: str,
        problems: tuple[tuple[str, str], ...] = (),
        call_id: str | None = None,
    ) -> None:
        self.problems = problems
        super().__init__(message, tool=tool, call_id=call_id)


class ToolTimeoutError(ToolError, TimeoutError):
    """The tool did not finish within ``timeout`` seconds and was stopped.

    A synchronous tool runs in a worker thread that Python cannot kill: ``thread_abandoned``
    says the thread was still running when the call was given up (it runs on, its result is
    discarded).
    """

    def __init__(
        self,
        message: str,
        *,
        tool: str,
        timeout: float,
        thread_abandoned: bool = False,
        call_id: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.thread_abandoned = thread_abandoned
        super().__init__(message, tool=tool, call_id=call_id)


class ToolOutputError(ToolError, TypeError):
    """The tool returned a value that cannot be serialised to the output string (not JSON)."""


class CostError(RealtimeKitError):
    """Base of the cost meter's errors."""


class UnpricedModelError(CostError, LookupError):
    """No price card is known for a model; the meter never guesses $0."""

    def __init__(self, model: str) -> None:
        self.model = model
        super().__init__(f"no price card for model {model!r}; pass prices= or load a card file")


class BudgetExceededError(CostError):
    """A session's hard budget stop was reached."""

    def __init__(self, spent: object, budget: object) -> None:
        self.spent = spent
        self.budget = budget
        super().__init__(f"budget exceeded: spent ${spent} of ${budget}")
