"""A client's close is answered at once, even while the session is busy answering earlier frames.

The set-up: the session is stuck mid-answer (a stalled transcription delta stands in for slow
transcription or a client that does not read), the client sends a final append and commit, and
then closes. Those two frames wait unread; uvicorn stops reading the TCP socket while they do, so
a server that handled frames strictly one by one never saw the close frame and the client sat
out its whole close timeout. The checks are on what the client saw: the server's close reply.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import anyio
import pytest

import realtime_kit
from realtime_kit.events import (
    ConversationItemDoneEvent,
    InputAudioBufferAppendEvent,
    InputAudioBufferCommitEvent,
)
from realtime_kit.testing import FakeRealtimeServer
from realtime_kit.transports import Transport
from realtime_kit.transports.websocket import WebSocketTransport
from tests.testing._client import KEY, open_client

pytestmark = pytest.mark.anyio

SESSION = {
    "type": "transcription",
    "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}, "turn_detection": None}},
}
STALLED = "conversation.item.input_audio_transcription.delta"
# Longer than any wait here: a close that ends within the guard was answered by the server.
GUARD_S = 30
# Lets the final frames reach the server (and uvicorn pause reading) before the close is sent.
SETTLE_S = 0.1


def audio(pcm: bytes) -> str:
    return base64.b64encode(pcm).decode()


async def test_close_is_answered_while_the_session_is_busy(server: FakeRealtimeServer) -> None:
    pcm = server.speak("one final thing")
    server.faults.stall(STALLED)
    c = await open_client(server.ws_base_url + "/realtime?intent=transcription")
    try:
        with anyio.fail_after(GUARD_S):
            await c.expect("session.created")
            await c.send({"type": "session.update", "session": SESSION})
            await c.expect("session.updated")
            await c.append(pcm)
            await c.send({"type": "input_audio_buffer.commit"})
            await c.recv_until("conversation.item.done")  # the session now stalls
            await c.append(pcm)
            await c.send({"type": "input_audio_buffer.commit"})
            await anyio.sleep(SETTLE_S)
            await c.close()  # without reading what is left
        reply = c.ws.protocol.close_rcvd
        assert reply is not None, "the client gave up waiting: the server never answered"
        assert reply.code == 1000
        [handle] = server.connections
        assert await anyio.to_thread.run_sync(handle.ended.wait, GUARD_S)
        assert handle.close_code == 1000
    finally:
        server.faults.release()


async def test_connect_close_is_answered_while_the_session_is_busy(
    server: FakeRealtimeServer,
) -> None:
    async def patient(url: str, headers: Mapping[str, str]) -> Transport:
        # A close timeout past the guard: only the server's reply can end the close in time.
        return await WebSocketTransport.connect(url, headers=headers, close_timeout=GUARD_S * 2)

    pcm = server.speak("one final thing")
    server.faults.stall(STALLED)
    try:
        with anyio.fail_after(GUARD_S):
            async with realtime_kit.connect(
                intent="transcription",
                api_key=KEY,
                base_url=server.base_url,
                session=SESSION,
                transport=patient,
            ) as conn:
                await conn.send(InputAudioBufferAppendEvent(audio=audio(pcm)))
                await conn.send(InputAudioBufferCommitEvent())
                async for event in conn:
                    if isinstance(event, ConversationItemDoneEvent):
                        break  # the session now stalls
                await conn.send(InputAudioBufferAppendEvent(audio=audio(pcm)))
                await conn.send(InputAudioBufferCommitEvent())
                await anyio.sleep(SETTLE_S)
        assert conn.transport.close_code == 1000
        [handle] = server.connections
        assert await anyio.to_thread.run_sync(handle.ended.wait, GUARD_S)
        assert handle.close_code == 1000
    finally:
        server.faults.release()
