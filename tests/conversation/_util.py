"""Helpers for the conversation tests."""

from __future__ import annotations

from collections.abc import Callable

import anyio


async def eventually(condition: Callable[[], object], *, within: float = 10.0) -> None:
    """Wait until ``condition()`` is true (checked every 10 ms), or fail after ``within`` seconds.

    For states another task or the server thread changes without a notification to wait on.
    """
    with anyio.fail_after(within):
        while not condition():  # noqa: ASYNC110 (no event to wait on: state set elsewhere)
            await anyio.sleep(0.01)
