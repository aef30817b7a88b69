"""One session on one transport (a connection has one at a time, two during a switch), where a
connection goes and how its transport is opened, and the ``session.update`` built from a caller's
config.

Kept apart from ``connection`` to keep files readable. Imports: pybase64, pydantic, the standard
library, ``errors``, ``events``, ``protocol`` and ``transports``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pybase64
from pydantic import BaseModel

from realtime_kit.errors import DecodeError, RemoteProtocolError
from realtime_kit.events import ClientEvent, ServerEvent, decode_client_event
from realtime_kit.protocol import RealtimeProtocol, SessionKind
from realtime_kit.transports.base import MediaTransport, Transport

__all__ = ["Leg", "SessionTarget", "TransportOpener", "session_update"]

_log = logging.getLogger("realtime_kit.client")
# Violations logged in full per session; after these, one line per power of ten (a server
# sending garbage by the thousand must not flood the log, nor cost a log line per frame).
_LOGGED_IN_FULL = 10


TransportOpener = Callable[[str, Mapping[str, str]], Awaitable[Transport]]
"""Opens a transport to a URL with handshake headers (the default opens a WebSocket)."""


@dataclass(frozen=True)
class SessionTarget:
    """Where a connection goes: the session kind, the URL path and its query."""

    kind: SessionKind
    path: str
    query: dict[str, str]


@dataclass(eq=False)
class Leg:
    """One session on one transport."""

    transport: Transport
    core: RealtimeProtocol
    generation: int
    # The base64 audio of each append the server has not committed or cleared yet.
    uncommitted: list[str] = field(default_factory=list)
    # Where each uncommitted append ends, in ms of this session's input audio (the timeline of
    # the server's VAD), so a VAD commit drops only the audio it took.
    uncommitted_end_ms: list[float] = field(default_factory=list)
    appended_ms: float = 0.0
    vad_end_ms: float | None = None
    # The connection's clock when the session opened, for the rollover deadline.
    opened_at: float = 0.0
    skew_reported: bool = False
    # The transport's synchronous write and push delivery, when it has them.
    try_send: Callable[[bytes], bool] | None = field(init=False)
    deliver_to: Callable[..., None] | None = field(init=False)
    # The media side, when audio rides on tracks (WebRTC), and the largest frame the peer takes.
    media: MediaTransport | None = field(init=False)
    max_bytes: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.try_send = getattr(self.transport, "try_send_text", None)
        self.deliver_to = getattr(self.transport, "deliver_to", None)
        capabilities = self.transport.capabilities
        self.media = (
            self.transport
            if not capabilities.audio_in_band and isinstance(self.transport, MediaTransport)
            else None
        )
        self.max_bytes = capabilities.max_message_bytes

    def receive(self, item: str | RemoteProtocolError) -> ServerEvent | None:
        """Take one frame into this session's core: the typed event, or ``None`` when the
        frame was the server's mistake (recorded in ``core.violations`` and logged, skipped)."""
        if isinstance(item, RemoteProtocolError):
            self.violated(item)  # a frame that is not text at all
            return None
        try:
            return self.core.receive(item)
        except DecodeError as exc:
            error = RemoteProtocolError(f"undecodable server frame: {exc}")
            error.__cause__ = exc
            self.violated(error)
        except RemoteProtocolError as exc:
            self.violated(exc)
        return None

    async def next_event(self) -> ServerEvent:
        """Read this session's transport up to its next event, skipping (and recording) the
        server's mistakes on the way. Only for a session nobody else is reading.

        Raises:
            ConnectionClosedError: the connection ended.
        """
        while True:
            try:
                item: str | RemoteProtocolError = await self.transport.receive_text()
            except RemoteProtocolError as exc:
                item = exc  # not a text frame at all
            event = self.receive(item)
            if event is not None:
                return event

    def violated(self, error: RemoteProtocolError) -> None:
        """Record a server violation on this session (and log it, sparingly)."""
        log = self.core.violations
        log.append(error)
        count = log.total
        if count <= _LOGGED_IN_FULL:
            _log.warning("server protocol violation (skipped): %s", error)
        elif count == 10 ** (len(str(count)) - 1):
            _log.warning("%d server protocol violations so far; latest: %s", count, error)

    def appended(self, audio: str) -> None:
        """An append (its base64 audio) was written: keep it until the server commits or
        clears it."""
        self.appended_ms += len(audio) * 3 / 4 / self.core.input_bytes_per_ms
        self.uncommitted.append(audio)
        self.uncommitted_end_ms.append(self.appended_ms)

    def forget_uncommitted(self, up_to_ms: float | None = None) -> None:
        """Drop uncommitted audio: all of it, or what lies before ``up_to_ms``.

        An append that straddles ``up_to_ms`` keeps only its part after it: a VAD commit takes
        the audio up to the end of speech, and a reconnect must not send that speech again (an
        app that appends a whole utterance at once would otherwise be heard twice).
        """
        if up_to_ms is None:
            self.uncommitted.clear()
            self.uncommitted_end_ms.clear()
            return
        per_ms = self.core.input_bytes_per_ms
        kept: list[str] = []
        ends: list[float] = []
        for audio, end in zip(self.uncommitted, self.uncommitted_end_ms, strict=True):
            if end <= up_to_ms:
                continue
            begin = end - len(audio) * 3 / 4 / per_ms
            tail = audio
            if begin < up_to_ms:
                data = pybase64.b64decode(audio)
                cut = int((up_to_ms - begin) * per_ms)
                cut -= cut % (2 if per_ms % 2 == 0 else 1)  # whole PCM16 samples
                tail = pybase64.b64encode(data[cut:]).decode("ascii")
            kept.append(tail)
            ends.append(end)
        self.uncommitted = kept
        self.uncommitted_end_ms = ends


def session_update(kind: SessionKind, session: Mapping[str, Any] | BaseModel) -> ClientEvent:
    payload = (
        session.model_dump(mode="json", exclude_unset=True)
        if isinstance(session, BaseModel)
        else dict(session)
    )
    if kind != "translation":
        payload.setdefault("type", kind)
    return decode_client_event(json.dumps({"type": "session.update", "session": payload}))
