"""WebRTC calls against the fake server's answerer, over real loopback UDP: one spoken turn,
barge-in with server-side truncation, output_audio_buffer.clear, sideband sockets joining the
call, hangup, and a dropped call reconnecting."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import anyio
import pytest

import realtime_kit
from realtime_kit import PCMFrame
from realtime_kit.client import ConnectionRestored, ReconnectPolicy
from realtime_kit.events import (
    ConversationItemCreateEvent,
    OutputAudioBufferClearEvent,
    ResponseCancelEvent,
)
from realtime_kit.testing import ToneSynthesizer
from realtime_kit.transports import TransportStateChanged
from realtime_kit.transports.webrtc import candidate_addresses
from tests.webrtc._calls import (
    KEY,
    LOOPBACK,
    PATIENCE_S,
    collecting,
    connect,
    events_until,
    loud_ms,
    played_out,
    say,
    server,
)

pytestmark = pytest.mark.anyio

REPLY = "It is noon."
LONG = " ".join(["seventy"] * 12)  # 12 x (420 + 80) ms = 6 s of speech


def _types(events: list[Any]) -> list[str]:
    return [e.type for e in events if hasattr(e, "type")]


async def test_one_spoken_turn_audio_on_tracks_events_on_the_channel() -> None:
    async with server(REPLY) as srv, connect(srv) as conn:
        states: list[TransportStateChanged] = []
        conn.on(TransportStateChanged, states.append)
        async with collecting(conn) as frames:
            await say(conn)
            seen = await events_until(conn, lambda e: e.type == "output_audio_buffer.stopped")
            await played_out(frames)
            heard = loud_ms(frames)
        types = _types(seen)
        order = [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.committed",
            "response.created",
            "response.content_part.added",
            "output_audio_buffer.started",
            "response.done",
            "output_audio_buffer.stopped",
        ]
        assert [t for t in types if t in order] == order
        assert "response.output_audio.delta" not in types  # audio rides on the track
        done = next(e for e in seen if e.type == "response.output_audio_transcript.done")
        assert done.transcript == REPLY
        # The reply's voice arrived on the track, all of it and once (Opus keeps durations).
        sent = loud_ms([PCMFrame.from_bytes(ToneSynthesizer().synthesize(REPLY), 24_000)])
        assert 0.85 * sent <= heard <= 1.15 * sent, (heard, sent)
        assert conn.transport.delivered_samples >= sent * 24
        for sdp in (conn.transport.offer_sdp, conn.transport.answer_sdp):
            assert all(a.startswith("127.") for a in candidate_addresses(sdp))
        reached = {(s.layer, s.state) for s in states}
        assert {("ice", "completed"), ("dtls", "connected"), ("data_channel", "open")} <= reached
    assert conn.error is None


async def test_barge_in_clears_the_buffer_and_the_server_cuts_the_item() -> None:
    async with server(LONG) as srv, connect(srv) as conn:
        async with collecting(conn) as frames:
            await say(conn)
            await events_until(conn, lambda e: e.type == "output_audio_buffer.started")
            with anyio.fail_after(PATIENCE_S):
                while loud_ms(frames) < 800:  # noqa: ASYNC110 (another task appends frames)
                    await anyio.sleep(0.05)
            await say(conn, "stop", pause_ms=300)
            seen = await events_until(conn, lambda e: e.type == "output_audio_buffer.cleared")
            seen += await events_until(conn, lambda e: e.type == "response.done")
        started = next(e for e in seen if e.type == "input_audio_buffer.speech_started")
        cleared = next(e for e in seen if e.type == "output_audio_buffer.cleared")
        done = next(e for e in seen if e.type == "response.done")
        assert seen.index(started) < seen.index(cleared)
        assert cleared.response_id == done.response.id
        assert done.response.status == "cancelled"
        handle = srv.connections[0]
        with anyio.fail_after(PATIENCE_S):
            while True:
                assistant = [i for i in handle.items if i.get("role") == "assistant"]
                if assistant and assistant[0]["status"] != "in_progress":
                    break
                await anyio.sleep(0.02)
        words = assistant[0]["content"][0]["transcript"].split()
        # The server played ~1-2 s of the 6 s answer before the barge-in: it keeps what it
        # played, not what it generated.
        assert 0 < len(words) < 12, words


async def test_output_audio_buffer_clear_stops_playback() -> None:
    async with server(LONG) as srv, connect(srv) as conn:
        await say(conn)
        started = await events_until(conn, lambda e: e.type == "output_audio_buffer.started")
        rid = started[-1].response_id
        await conn.send(ResponseCancelEvent())
        await conn.send(OutputAudioBufferClearEvent())
        seen = await events_until(conn, lambda e: e.type == "output_audio_buffer.cleared")
        assert seen[-1].response_id == rid
        assert "output_audio_buffer.stopped" not in _types(seen)


async def test_a_sideband_socket_joins_the_same_session_and_hangup_ends_both() -> None:
    async with server(REPLY) as srv, connect(srv) as conn:
        call_id = conn.transport.call_id
        assert call_id is not None
        assert call_id.startswith("rtc_")
        async with realtime_kit.connect(
            call_id=call_id, api_key=KEY, base_url=srv.base_url, reconnect=False
        ) as side:
            assert side.session_id == conn.session_id
            await side.send(
                ConversationItemCreateEvent.model_validate(
                    {
                        "item": {
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": "from the sideband"}],
                        }
                    }
                )
            )
            added = await events_until(conn, lambda e: e.type == "conversation.item.added")
            assert added[-1].item.content[0].text == "from the sideband"
            async with realtime_kit.RealtimeREST(api_key=KEY, base_url=srv.base_url) as rest:
                await rest.hangup_call(call_id)
            with anyio.fail_after(PATIENCE_S):
                await conn.wait_closed()
                await side.wait_closed()
        assert conn.transport.close_code == 1000
        assert srv.call(call_id).status == "ended"


async def test_a_call_that_vanishes_is_noticed_and_replaced_by_a_new_call() -> None:
    quick = replace(LOOPBACK, stall_timeout=1.5)
    policy = ReconnectPolicy(max_attempts=2)
    async with server(REPLY) as srv, connect(srv, webrtc=quick, reconnect=policy) as conn:
        first = conn.transport.call_id
        handle = (await srv.wait_for_connections(1))[0]
        handle.drop_soon()  # the server's side goes silent, no goodbye
        async with collecting(conn) as frames:
            seen = await events_until(conn, lambda e: isinstance(e, ConnectionRestored))
            restored = seen[-1]
            assert restored.close_code == 1006
            assert conn.transport.call_id not in (None, first)
            assert restored.new_session_id != restored.old_session_id
            # The same audio_frames() iterator goes on with the new call's track, and bytes
            # (PCM16 24 kHz) reach the new call's outbound track.
            heard_before = conn.transport.delivered_samples
            await conn.send_audio(bytes(960))
            with anyio.fail_after(PATIENCE_S):
                while not frames or conn.transport.delivered_samples <= heard_before:  # noqa: ASYNC110
                    await anyio.sleep(0.02)
