"""Conversation over WebRTC against the fake server's answerer (loopback UDP, asyncio only):
audio on tracks, the server plays it out and cuts it, the log keeps the heard words."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from realtime_kit import PCMFrame
from realtime_kit.conversation import (
    AssistantTranscript,
    AssistantTranscriptDelta,
    Conversation,
    ConversationEvent,
    Interrupted,
    ResponseDone,
    UserTranscript,
)
from tests.conversation._util import eventually
from tests.webrtc._calls import KEY, LOOPBACK, PATIENCE_S, server, voice

pytestmark = pytest.mark.anyio

LONG = " ".join(["seventy"] * 12)  # 12 x (420 + 80) ms = 6 s of tone speech


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # WebRTC needs asyncio (aiortc)


async def _until(conv: Conversation, cls: type[Any], seen: list[ConversationEvent]) -> Any:
    with anyio.fail_after(PATIENCE_S):
        async for event in conv.events():
            seen.append(event)
            if isinstance(event, cls):
                return event
    raise AssertionError(f"conversation ended before {cls.__name__}")


async def _say(conv: Conversation, text: str = "what time is it", pause_ms: int = 900) -> None:
    for frame in PCMFrame.concat([voice(text), PCMFrame.silence(pause_ms)]).chunks(20):
        await conv.send_audio(frame)


def _conversation(srv: Any, **options: Any) -> Conversation:
    return Conversation(
        "gpt-realtime",
        api_key=KEY,
        base_url=srv.base_url,
        transport="webrtc",
        webrtc=LOOPBACK,
        reconnect=False,
        playback="reported",
        **options,
    )


async def test_a_turn_over_webrtc_audio_from_the_track_reaches_the_app() -> None:
    async with server("It is noon.") as srv, _conversation(srv) as conv:
        frames: list[PCMFrame] = []

        async def listen() -> None:
            async for chunk in conv.audio():
                frames.append(chunk.frame)
                conv.played(chunk.frame)

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            seen: list[ConversationEvent] = []
            await _say(conv)
            await _until(conv, ResponseDone, seen)
            await eventually(lambda: sum(f.duration_ms for f in frames) > 300, within=PATIENCE_S)
            tg.cancel_scope.cancel()
        said = [e.text for e in seen if isinstance(e, (UserTranscript, AssistantTranscript))]
        assert said == ["what time is it", "It is noon."]
        assert all(f.rate == 24_000 for f in frames)
        assert conv.log.transcript() == "User: what time is it\nAssistant: It is noon."


async def test_a_barge_in_is_cut_by_the_server_and_the_log_keeps_the_heard_words() -> None:
    async with (
        server(LONG, "Okay.", heard=("what time is it", "stop")) as srv,
        _conversation(srv, audio_output=False) as conv,
    ):
        seen: list[ConversationEvent] = []
        await _say(conv)
        await _until(conv, AssistantTranscriptDelta, seen)  # the answer begins to play
        reply = conv.log.turns()[-1]
        await anyio.sleep(1.5)  # the server plays about this much of the 6 s answer
        await _say(conv, "stop", pause_ms=300)
        cut = await _until(conv, Interrupted, seen)
        assert cut.source == "server"
        assert cut.item_id == reply.item_id
        words = cut.heard_text.split()
        assert 0 < len(words) < 12
        entry = conv.log.get(reply.item_id)
        assert entry is not None
        assert entry.text == cut.heard_text  # type: ignore[union-attr]
        assert entry.generated_text.startswith(cut.heard_text)  # type: ignore[union-attr]
