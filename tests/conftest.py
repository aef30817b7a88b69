"""Shared fixtures: where the reference data lives, and the anyio backends."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OPENAPI = SHARED / "protocol" / "openapi.yaml"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every anyio test on both backends."""
    return str(request.param)


def needs_shared() -> pytest.MarkDecorator:
    """Skip (with the reason) where ../shared is absent, as on a user's checkout."""
    return pytest.mark.skipif(
        not OPENAPI.exists(),
        reason=f"needs the OpenAPI document at {OPENAPI} (present in CI, absent on user checkouts)",
    )
