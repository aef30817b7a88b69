"""The fake server's shared state: keys, minted client secrets, calls, live connections.

Everything here is touched from the server's event-loop thread and read by tests from theirs, so
mutations take one lock.

Imports: the standard library and sibling testing modules.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from realtime_kit.testing._parts import ServerParts
from realtime_kit.testing._wire import IdMaker
from realtime_kit.testing.faults import Faults
from realtime_kit.testing.recording import Recorder

__all__ = ["AnswerError", "CallAnswerer", "CallRecord", "ClientSecret", "ServerState"]


@dataclass
class ClientSecret:
    """An ephemeral ``ek_`` key this server minted, bound to a session kind and config."""

    value: str
    expires_at: int
    kind: str
    session: dict[str, Any]

    def __repr__(self) -> str:
        return f"ClientSecret(kind={self.kind!r}, expires_at={self.expires_at})"


@dataclass
class CallRecord:
    """A SIP or WebRTC call known to the server.

    ``status`` is ``incoming`` → ``accepted`` | ``rejected``, and ``ended`` after a hangup;
    ``refers`` lists the ``target_uri`` of each REFER; ``reject_status`` the SIP code of a reject.
    """

    id: str
    status: str = "incoming"
    session: dict[str, Any] | None = None
    refers: list[str] = field(default_factory=list)
    reject_status: int | None = None
    offer_sdp: str | None = None
    from_secret: bool = False
    """``session`` is an ephemeral key's effective config (the raw-SDP form)."""
    attach: Callable[[Any, Any], Awaitable[None]] | None = field(default=None, repr=False)
    """Set while a WebRTC call's session runs: joins a sideband socket (handle, wire) to it."""


CallAnswerer = Callable[[str, CallRecord], Awaitable[str]]
"""Produces the SDP answer for ``POST /v1/realtime/calls`` (the WebRTC transport plugs in here)."""


class AnswerError(Exception):
    """An answerer refuses an offer; the REST layer answers with this status and error body."""

    def __init__(self, status: int, message: str, code: str | None, param: str | None) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        super().__init__(message)


@dataclass(repr=False)
class ServerState:
    """Shared state of one fake server (its repr shows counts only: keys are secrets)."""

    parts: ServerParts
    ids: IdMaker
    faults: Faults
    api_keys: frozenset[str] | None
    default_model: str
    recorder: Recorder | None = None
    answerer: CallAnswerer | None = None
    secrets: dict[str, ClientSecret] = field(default_factory=dict)
    calls: dict[str, CallRecord] = field(default_factory=dict)
    connections: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __repr__(self) -> str:
        return (
            f"ServerState(secrets={len(self.secrets)}, calls={len(self.calls)}, "
            f"connections={len(self.connections)}, restricted_keys={self.api_keys is not None})"
        )

    def key_ok(self, key: str) -> bool:
        """Is ``key`` a standard API key this server accepts?"""
        if self.api_keys is not None:
            return key in self.api_keys
        return key.startswith("sk-") and len(key) > 3

    def secret(self, key: str) -> ClientSecret | None:
        """The live minted secret ``key``, or None (unknown or expired)."""
        with self.lock:
            found = self.secrets.get(key)
        if found is None or self.parts.clock.wall() >= found.expires_at:
            return None
        return found
