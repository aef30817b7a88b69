"""Shared fixtures: where the reference data lives, and the anyio backends.

Hypothesis runs without its per-example deadline: a deadline is a timing assertion, which the
suite does not make (speed lives in benchmarks/), and on a loaded CI machine it only adds flakes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("realtime_kit", deadline=None)
settings.load_profile("realtime_kit")

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
