"""A Conversation whose opening fails raises the failure itself, on asyncio and trio."""

from __future__ import annotations

import pytest

from realtime_kit.conversation import Conversation
from realtime_kit.errors import ConfigurationError
from realtime_kit.testing import FakeClock, FakeRealtimeServer

pytestmark = pytest.mark.anyio


async def test_a_config_the_server_refuses_at_open_raises_configuration_error() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock) as server:
        conversation = Conversation(
            api_key="sk-test",
            base_url=server.base_url,
            audio_output=False,
            clock=clock.wall,
            session={"colour": "blue"},
        )
        with pytest.raises(ConfigurationError, match="refused the session config"):
            async with conversation:
                pytest.fail("the conversation opened with a refused config")
