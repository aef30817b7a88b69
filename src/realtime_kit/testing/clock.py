"""Clocks for the fake server: real time by default, or a fake clock a test moves by hand.

The server asks its clock two things: ``now()`` (seconds, monotonic) and to wait. There are two
kinds of waiting, because they mean different things under a fake clock:

* ``pace_until(t)`` — the server is *producing* something that takes time (audio streamed in real
  time, an injected delay). A fake clock with ``auto_advance=True`` (the default) jumps to ``t`` at
  once, so a 10-second answer streams in microseconds while its timestamps still add up.
* ``wait_until(t)`` — the server is *waiting for the world* (the 60-minute session cap, a VAD idle
  timeout). A fake clock never jumps for these; only :meth:`FakeClock.advance` moves them.

``FakeClock.advance`` is thread-safe: tests call it from their own thread or event loop while the
server runs in its background thread.

Imports: anyio and the standard library only.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import anyio
import anyio.lowlevel

__all__ = ["Clock", "FakeClock", "RealClock"]

# A fake clock's waiters poll: the server loop lives on another thread than the test, and polling
# is the one wake-up that needs no thread-crossing machinery. 2 ms keeps tests snappy.
_FAKE_POLL_S = 0.002


class Clock(Protocol):
    """What the fake server needs from a clock."""

    def now(self) -> float:
        """Seconds on this clock (monotonic; only differences matter)."""
        ...

    def wall(self) -> float:
        """Unix time in seconds, as used for ``expires_at`` fields."""
        ...

    async def pace_until(self, deadline: float) -> None:
        """Wait while the server produces output that takes until ``deadline``."""
        ...

    async def wait_until(self, deadline: float) -> None:
        """Wait for an outside deadline (session cap, idle timeout)."""
        ...


class RealClock:
    """The machine's clock: ``time.monotonic`` and ``anyio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def pace_until(self, deadline: float) -> None:
        delay = deadline - self.now()
        await anyio.sleep(max(0.0, delay))

    async def wait_until(self, deadline: float) -> None:
        await self.pace_until(deadline)

    def __repr__(self) -> str:
        return "RealClock()"


class FakeClock:
    """A clock that moves only when told to (or, for paced output, by itself).

    Args:
        start: the initial reading of :meth:`now`.
        wall_start: the Unix time that corresponds to ``start`` (for ``expires_at`` fields).
        auto_advance: jump forward when the server paces output, so streamed audio costs no real
            time. Timers (``wait_until``) never jump; move them with :meth:`advance`.
    """

    def __init__(
        self, *, start: float = 0.0, wall_start: float = 1_790_000_000.0, auto_advance: bool = True
    ) -> None:
        self._lock = threading.Lock()
        self._now = start
        self._wall_offset = wall_start - start
        self.auto_advance = auto_advance

    def now(self) -> float:
        with self._lock:
            return self._now

    def wall(self) -> float:
        with self._lock:
            return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (thread-safe). Waiting timers then fire."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        with self._lock:
            self._now += seconds

    def _jump_to(self, deadline: float) -> None:
        with self._lock:
            self._now = max(self._now, deadline)

    async def pace_until(self, deadline: float) -> None:
        if self.auto_advance:
            self._jump_to(deadline)
            # Still yield, so a paced producer never starves the rest of the server.
            await anyio.lowlevel.checkpoint()
            return
        await self.wait_until(deadline)

    async def wait_until(self, deadline: float) -> None:
        while self.now() < deadline:  # noqa: ASYNC110 - advanced from another thread
            await anyio.sleep(_FAKE_POLL_S)

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now():.3f}, auto_advance={self.auto_advance})"
