"""The fake server's record of its own failures.

Whatever a client sends, a session must answer like the real service and carry on. A failure
inside the server (a bug in the fake, or in a user's brain or synthesizer) is therefore answered
the way the real service answers its own failures — an ``error`` of type ``server_error``, or a
response that ends ``failed`` — and the session goes on. It is never silent: each one is logged
on the ``realtime_kit.testing`` logger and counted here, per server
(:attr:`FakeRealtimeServer.internal_errors`) and for the whole process (:data:`INTERNAL_ERRORS`,
which the project's own test suite asserts stays empty).

Imports: the standard library only.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections import deque

__all__ = ["INTERNAL_ERRORS", "InternalErrors"]

_log = logging.getLogger("realtime_kit.testing")
_KEEP = 20  # tracebacks kept; the count goes on


class InternalErrors:
    """Failures inside a fake server: a count and the first few tracebacks.

    ``bool(errors)`` is True once anything failed; ``str(errors)`` shows what.
    """

    def __init__(self, *, parent: InternalErrors | None = None) -> None:
        self._lock = threading.Lock()
        self._parent = parent
        self.count = 0
        self.samples: deque[str] = deque(maxlen=_KEEP)

    def record(self, where: str, exc: BaseException) -> None:
        """Count ``exc``, raised while the server was ``where`` (e.g. "handling session.update")."""
        text = f"{where}: " + "".join(traceback.format_exception(exc)).rstrip()
        with self._lock:
            self.count += 1
            self.samples.append(text)
        if self._parent is not None:
            self._parent.record(where, exc)
        else:
            _log.error("fake server failure while %s", where, exc_info=exc)

    def clear(self) -> None:
        """Forget what was recorded."""
        with self._lock:
            self.count = 0
            self.samples.clear()

    def __bool__(self) -> bool:
        return self.count > 0

    def __len__(self) -> int:
        return self.count

    def __str__(self) -> str:
        if not self.count:
            return "no internal errors"
        with self._lock:
            shown = "\n\n".join(self.samples)
        return f"{self.count} internal error(s) in the fake server:\n{shown}"

    def __repr__(self) -> str:
        return f"InternalErrors(count={self.count})"


INTERNAL_ERRORS = InternalErrors()
"""Every fake server failure in this process (each server's own record feeds it)."""
