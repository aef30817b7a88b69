"""Fixtures for the WebRTC tests: asyncio only (aiortc), skipped with the reason where the
``webrtc`` extra is missing."""

from __future__ import annotations

import pytest

pytest.importorskip("aiortc", reason="the webrtc extra (aiortc) is not installed")


@pytest.fixture
def anyio_backend() -> str:
    """aiortc runs on asyncio only; trio is refused (tested on its own)."""
    return "asyncio"
