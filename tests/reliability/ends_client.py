"""Every way an established connection can end, played under one plain event-loop runner.

Run as a script: ``python tests/reliability/ends_client.py RUNNER [SCENARIO ...]`` where RUNNER
is ``asyncio`` (a plain ``asyncio.run()``), ``uvloop`` (``uvloop.run()``) or ``trio``
(``trio.run()``) — no anyio runner and no pytest plugin around the client, as a user's program
would have it. Each scenario runs in its own ``RUNNER.run(...)`` against a :class:`HostileServer`
(or the fake server on a fake clock) and prints one JSON line: the scenario's name and how the
connection ended. ``tests/reliability/test_ends.py`` runs this and checks the lines.

The end always comes after the connection is established and attached: the server waits for
the client's first frame (sent after ``async with connect(...)`` is entered) before it
misbehaves, so on asyncio the end arrives in a socket or timer callback, where the hang was.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import anyio

import realtime_kit
from realtime_kit.client import ConnectionRestored, ReconnectPolicy, RolloverPolicy
from realtime_kit.errors import RealtimeKitError
from realtime_kit.events import RateLimitsUpdatedEvent
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ToneSynthesizer
from realtime_kit.transports.base import Transport
from realtime_kit.transports.websocket import WebSocketTransport
from tests.reliability.hostile import (
    AwaitFrame,
    Close,
    FinMidFrame,
    HostileServer,
    Reset,
    Send,
    Silent,
    Step,
    session_created,
)

KEY = "sk-test-key"
# Only a safety net: a scenario that works ends in milliseconds; one that hangs is reported as
# "hang" once this passes (the outcome, not the time, is what the test checks).
HANG_S = 15.0

RATE_LIMITS = {
    "type": "rate_limits.updated",
    "event_id": "event_rl",
    "rate_limits": [{"name": "requests", "limit": 100, "remaining": 99, "reset_seconds": 1.0}],
}


def fatal(code: str, kind: str) -> dict[str, Any]:
    return {
        "type": "error",
        "event_id": "event_err",
        "error": {"type": kind, "code": code, "message": f"{code} (hostile server)"},
    }


def attached_then(*steps: Step) -> list[Step]:
    """session.created, wait for the client's first frame, then ``steps``."""
    return [Send(session_created()), AwaitFrame(), *steps]


async def _quick_pings(url: str, headers: Mapping[str, str]) -> Transport:
    return await WebSocketTransport.connect(
        url, headers=headers, ping_interval=0.5, ping_timeout=0.5
    )


async def drive(
    base_url: str,
    *,
    reconnect: bool | ReconnectPolicy = False,
    transport: Callable[[str, Mapping[str, str]], Awaitable[Transport]] | None = None,
    after_attach: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Connect, send one frame, read until the end; report how it ended."""
    result: dict[str, Any] = {"events": []}
    try:
        with anyio.fail_after(HANG_S):
            async with realtime_kit.connect(
                "gpt-realtime",
                api_key=KEY,
                base_url=base_url,
                reconnect=reconnect,
                transport=transport,
            ) as conn:
                await conn.send_audio(bytes(4800))
                if after_attach is not None:
                    await after_attach()
                try:
                    async for event in conn:
                        result["events"].append(type(event).__name__)
                        if isinstance(event, RateLimitsUpdatedEvent) and reconnect:
                            break  # the second session is live: the reconnect worked
                    result["end"] = "clean"
                except RealtimeKitError as exc:
                    result.update(describe(exc))
                # After the end, a send must raise at once instead of queueing silently.
                if result.get("end") != "clean" or not reconnect:
                    try:
                        await conn.send_audio(bytes(480))
                        result["send_after_end"] = "accepted"
                    except RealtimeKitError as exc:
                        result["send_after_end"] = type(exc).__name__
    except TimeoutError:
        result["end"] = "hang"
    except RealtimeKitError as exc:
        result.update(describe(exc))
        result["at"] = "connect"
    return result


def describe(exc: BaseException) -> dict[str, Any]:
    return {
        "end": "raised",
        "error": type(exc).__name__,
        "code": getattr(exc, "code", None),
        "reason": str(getattr(exc, "reason", "") or ""),
    }


async def hostile(*scripts: list[Step], **options: Any) -> dict[str, Any]:
    with HostileServer(*scripts) as server:
        result = await drive(server.base_url, **options)
        result["connections"] = server.connections
    return result


async def invalid_api_key() -> dict[str, Any]:
    script = attached_then(Send(fatal("invalid_api_key", "invalid_request_error")))
    return await hostile(script, reconnect=True)


async def insufficient_quota() -> dict[str, Any]:
    script = attached_then(Send(fatal("insufficient_quota", "insufficient_quota")))
    return await hostile(script, reconnect=True)


async def tcp_reset() -> dict[str, Any]:
    return await hostile(attached_then(Reset()))


async def fin_mid_frame() -> dict[str, Any]:
    return await hostile(attached_then(FinMidFrame()))


async def close_1011() -> dict[str, Any]:
    return await hostile(attached_then(Close(1011, "internal error")))


async def unanswered_pings() -> dict[str, Any]:
    return await hostile(attached_then(Silent()), transport=_quick_pings)


async def reconnect_after_1011() -> dict[str, Any]:
    first = attached_then(Close(1011, "internal error"))
    second = [Send(session_created("sess_second")), Send(RATE_LIMITS)]
    return await hostile(first, second, reconnect=ReconnectPolicy(initial_delay=0.01))


async def reconnect_after_reset() -> dict[str, Any]:
    first = attached_then(Reset())
    second = [Send(session_created("sess_second")), Send(RATE_LIMITS)]
    return await hostile(first, second, reconnect=ReconnectPolicy(initial_delay=0.01))


async def rollover() -> dict[str, Any]:
    """A planned switch before the cap: a standby opened, drained and swapped in by helper
    tasks and timers, on the fake server's fake clock."""
    clock = FakeClock()
    result: dict[str, Any] = {"events": []}
    async with FakeRealtimeServer(clock=clock, seed=2, synthesizer=ToneSynthesizer()) as server:
        try:
            with anyio.fail_after(HANG_S):
                async with realtime_kit.connect(
                    "gpt-realtime",
                    api_key=KEY,
                    base_url=server.base_url,
                    rollover=RolloverPolicy(lead_time=300, hard_deadline=20, poll_interval=0.05),
                    clock=clock.wall,
                ) as conn:
                    await conn.send_audio(bytes(4800))
                    clock.advance(3600 - 250)
                    async for event in conn:
                        result["events"].append(type(event).__name__)
                        if isinstance(event, ConnectionRestored):
                            result["cause"] = event.cause
                            break
                    result["end"] = "restored" if "cause" in result else "clean"
        except TimeoutError:
            result["end"] = "hang"
        except RealtimeKitError as exc:
            result.update(describe(exc))
    return result


async def async_handler() -> dict[str, Any]:
    with HostileServer(attached_then(Send(RATE_LIMITS))) as server:
        handled = anyio.Event()
        result: dict[str, Any] = {}
        try:
            with anyio.fail_after(HANG_S):
                async with realtime_kit.connect(
                    "gpt-realtime", api_key=KEY, base_url=server.base_url, reconnect=False
                ) as conn:

                    async def on_limits(event: RateLimitsUpdatedEvent) -> None:
                        result["handled"] = event.event_id
                        handled.set()

                    conn.on(RateLimitsUpdatedEvent, on_limits)
                    await conn.send_audio(bytes(4800))
                    await handled.wait()
            result["end"] = "handled"
        except TimeoutError:
            result["end"] = "hang"
        except RealtimeKitError as exc:
            result.update(describe(exc))
    return result


async def session_expired() -> dict[str, Any]:
    """The 60-minute cap with no rollover, on the fake server's fake clock (no real minutes)."""
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock, seed=1, synthesizer=ToneSynthesizer()) as server:

        async def expire() -> None:
            clock.advance(3600)

        return await drive(server.base_url, reconnect=True, after_attach=expire)


SCENARIOS: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
    "invalid_api_key": invalid_api_key,
    "insufficient_quota": insufficient_quota,
    "tcp_reset": tcp_reset,
    "fin_mid_frame": fin_mid_frame,
    "close_1011": close_1011,
    "unanswered_pings": unanswered_pings,
    "session_expired": session_expired,
    "async_handler": async_handler,
    "reconnect_after_1011": reconnect_after_1011,
    "reconnect_after_reset": reconnect_after_reset,
    "rollover": rollover,
}


def run(runner: str, scenario: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    if runner == "asyncio":
        import asyncio

        return asyncio.run(scenario())  # type: ignore[arg-type]
    if runner == "uvloop":
        import uvloop

        return uvloop.run(scenario())  # type: ignore[arg-type]
    if runner == "trio":
        import trio

        return trio.run(scenario)
    raise SystemExit(f"unknown runner {runner!r}")


def main(argv: list[str]) -> None:
    runner, *names = argv
    for name in names or list(SCENARIOS):
        outcome = run(runner, SCENARIOS[name])
        print(json.dumps({"scenario": name, **outcome}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
