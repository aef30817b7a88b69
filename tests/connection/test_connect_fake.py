"""connect() against the shipped fake server over real loopback sockets, on asyncio and trio."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import pytest
from tests.connection._events import until

import realtime_kit
from realtime_kit.client import ConnectionRestored, ReconnectPolicy
from realtime_kit.errors import (
    ConfigurationError,
    ConnectionClosedError,
    HandshakeError,
    LocalProtocolError,
    QuotaExceededError,
)
from realtime_kit.events import (
    ConversationItemCreateEvent,
    InputAudioBufferAppendEvent,
    InputAudioBufferCommitEvent,
    InputAudioBufferCommittedEvent,
    ResponseCreatedEvent,
    ResponseCreateEvent,
    ResponseDoneEvent,
    ServerEventBase,
    SessionCreatedEvent,
    decode_client_event,
)
from realtime_kit.testing import FakeClock, FakeRealtimeServer, ToneSynthesizer

pytestmark = pytest.mark.anyio
KEY = "sk-test-key"
CONFIG = {"type": "realtime", "instructions": "Answer briefly.", "output_modalities": ["text"]}


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    async with FakeRealtimeServer(clock=FakeClock(), seed=3, synthesizer=ToneSynthesizer()) as srv:
        yield srv


def user_text(text: str) -> ConversationItemCreateEvent:
    return ConversationItemCreateEvent(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )


async def test_turn_with_typed_handlers(server: FakeRealtimeServer) -> None:
    done_sync: list[ResponseDoneEvent] = []
    transcripts: list[str] = []
    async with realtime_kit.connect(
        "gpt-realtime", api_key=KEY, base_url=server.base_url, session=CONFIG
    ) as conn:
        assert conn.session is not None
        assert conn.session["instructions"] == "Answer briefly."
        assert conn.session_id is not None
        assert conn.kind == "realtime"
        conn.on(ResponseDoneEvent, done_sync.append)

        @conn.on(ServerEventBase)
        async def every(event: ServerEventBase) -> None:
            transcripts.append(event.type)

        await conn.send(user_text("hello there"))
        server.faults.stall("response.output_item.added")  # hold the response in progress
        await conn.send(ResponseCreateEvent())
        await until(conn, ResponseCreatedEvent)
        with pytest.raises(LocalProtocolError, match="create a response"):
            await conn.send(ResponseCreateEvent())
        server.faults.release()
        events = await until(conn, ResponseDoneEvent)
        assert events[-1].response.status == "completed"
        assert [r.id for r in conn.protocol.items if r.role == "user"]
        assistant = [r for r in conn.protocol.items if r.role == "assistant"]
        assert assistant
        assert "hello there" in assistant[-1].texts[0]
    assert len(done_sync) == 1
    assert "response.done" in transcripts


async def test_environment_base_url_and_key(
    server: FakeRealtimeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    async with realtime_kit.connect(intent="transcription") as conn:
        assert conn.kind == "transcription"
        assert conn.session is not None
        assert conn.session["type"] == "transcription"
        with pytest.raises(LocalProtocolError):
            await conn.send(ResponseCreateEvent())
    async with realtime_kit.connect(translation=True) as conn:
        assert conn.session is not None
        assert conn.session["type"] == "translation"


async def test_wrong_key_is_refused_at_handshake() -> None:
    async with FakeRealtimeServer(api_keys=["sk-right"], synthesizer=ToneSynthesizer()) as srv:
        with pytest.raises(HandshakeError) as info:
            async with realtime_kit.connect(
                "gpt-realtime", api_key="sk-wrong", base_url=srv.base_url
            ):
                raise AssertionError("connected with a wrong key")
    assert info.value.status == 401
    assert "sk-wrong" not in str(info.value)


def test_target_must_be_exactly_one() -> None:
    with pytest.raises(ConfigurationError):
        realtime_kit.connect(api_key=KEY)
    with pytest.raises(ConfigurationError):
        realtime_kit.connect("gpt-realtime", call_id="rtc_1", api_key=KEY)


async def test_drop_reconnects_restores_config_and_history(server: FakeRealtimeServer) -> None:
    async with realtime_kit.connect(
        "gpt-realtime",
        api_key=KEY,
        base_url=server.base_url,
        session=CONFIG,
        reconnect=ReconnectPolicy(initial_delay=0.01),
    ) as conn:
        old_session = conn.session_id
        await conn.send(user_text("first question"))
        await conn.send(ResponseCreateEvent())
        first = await until(conn, ResponseDoneEvent)
        deltas = sum(e.type == "response.output_text.delta" for e in first)
        # Rules count occurrences per connection: drop on the second delta of the next answer.
        server.faults.drop_on("response.output_text.delta", nth=deltas + 2)
        await conn.send(user_text("second question"))
        await conn.send(ResponseCreateEvent())
        events = await until(conn, ConnectionRestored)
        report = events[-1]
        assert report.cause == "reconnect"
        assert report.close_code == 1006
        assert report.old_session_id == old_session
        assert report.new_session_id == conn.session_id != old_session
        assert report.restored_config
        assert len(report.restored_items) == 3  # two user turns and the first answer
        assert any(lost.what.startswith("response") for lost in report.lost)
        assert any(isinstance(e, SessionCreatedEvent) for e in events)
        handles = await server.wait_for_connections(2)
        await anyio.lowlevel.checkpoint()
        # The new session got the config and the history, as text, in order.
        await conn.send(ResponseCreateEvent())
        await until(conn, ResponseDoneEvent)
        new = handles[-1]
        assert new.config["instructions"] == "Answer briefly."
        texts = [part.get("text") for item in new.items for part in item.get("content", [])]
        assert texts[:3] == ["first question", texts[1], "second question"]
        assert "first question" in (texts[1] or "")


async def test_unrecoverable_close_ends_iteration_with_typed_error(
    server: FakeRealtimeServer,
) -> None:
    server.faults.close_on("response.created", 4000, "beta_api_shape_disabled")
    async with realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=server.base_url) as conn:
        await conn.send(ResponseCreateEvent())
        with pytest.raises(ConnectionClosedError) as info:
            async for _ in conn:
                pass
        assert info.value.code == 4000
        assert not info.value.recoverable
        with pytest.raises(ConnectionClosedError):
            await conn.send(ResponseCreateEvent())


async def test_fatal_error_event_stops_without_reconnect(server: FakeRealtimeServer) -> None:
    server.faults.error_after("response.created", "insufficient_quota")
    async with realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=server.base_url) as conn:
        await conn.send(ResponseCreateEvent())
        with pytest.raises(QuotaExceededError):
            async for _ in conn:
                pass
        assert not conn.restores
    assert len(server.connections) == 1


async def test_fatal_error_during_setup_raises_from_connect(server: FakeRealtimeServer) -> None:
    server.faults.error_after("session.created", "insufficient_quota")
    with pytest.raises(QuotaExceededError):
        async with realtime_kit.connect(
            "gpt-realtime", api_key=KEY, base_url=server.base_url, session=CONFIG
        ):
            raise AssertionError("entered despite a fatal error")


async def test_error_event_is_tied_to_its_cause(server: FakeRealtimeServer) -> None:
    async with realtime_kit.connect("gpt-realtime", api_key=KEY, base_url=server.base_url) as conn:
        bad = decode_client_event('{"type":"conversation.item.delete","item_id":"nope"}')
        conn.protocol._items["nope"] = conn.protocol._placeholder("nope", "user")
        await conn.send(bad)
        events = await until(conn, realtime_kit.events.ErrorEvent)
        cause = conn.cause_of(events[-1])
        assert cause is not None
        assert cause.type == "conversation.item.delete"


async def test_rollover_before_the_cap_keeps_history_and_audio() -> None:
    clock = FakeClock()
    async with FakeRealtimeServer(clock=clock, seed=5, synthesizer=ToneSynthesizer()) as server:
        manual = {**CONFIG, "audio": {"input": {"turn_detection": None}}}
        async with realtime_kit.connect(
            "gpt-realtime",
            api_key=KEY,
            base_url=server.base_url,
            session=manual,
            rollover=realtime_kit.RolloverPolicy(
                lead_time=300, hard_deadline=20, poll_interval=0.05
            ),
            clock=clock.wall,
        ) as conn:
            first_session = conn.session_id
            await conn.send(user_text("remember the word teapot"))
            await conn.send(ResponseCreateEvent())
            await until(conn, ResponseDoneEvent)
            # 200 ms of speech that is not committed yet when the rollover happens.
            await conn.send(InputAudioBufferAppendEvent.from_audio(bytes(9600)))
            clock.advance(3600 - 250)
            events = await until(conn, ConnectionRestored)
            report = events[-1]
            assert report.cause == "rollover"
            assert report.old_session_id == first_session
            assert report.new_session_id == conn.session_id != first_session
            assert report.replayed_audio_ms == pytest.approx(200)
            assert len(report.restored_items) == 2
            assert report.lost == ()
            old, new = await server.wait_for_connections(2)
            await anyio.to_thread.run_sync(old.ended.wait, 5)
            assert old.close_code == 1000
            # The replayed audio is in the new session's buffer: a commit now succeeds.
            await conn.send(InputAudioBufferCommitEvent())
            committed = await until(conn, InputAudioBufferCommittedEvent)
            assert committed[-1].item_id
            assert new.config["instructions"] == "Answer briefly."
            assert new.items[0]["content"][0]["text"] == "remember the word teapot"


async def test_reconnect_after_a_vad_commit_replays_only_the_audio_after_it(
    server: FakeRealtimeServer,
) -> None:
    vad = {**CONFIG, "audio": {"input": {"turn_detection": {
        "type": "server_vad", "silence_duration_ms": 200, "create_response": False}}}}  # fmt: skip
    speech = server.speak("hello there")
    audio = bytes(24_000) + speech + bytes(38_400)  # 0.5 s silence, speech, 0.8 s silence
    chunk = 4_800  # 100 ms appends
    total_ms = len(audio) / 48
    async with realtime_kit.connect(
        "gpt-realtime",
        api_key=KEY,
        base_url=server.base_url,
        session=vad,
        reconnect=ReconnectPolicy(initial_delay=0.01),
    ) as conn:
        for start in range(0, len(audio), chunk):
            await conn.send(InputAudioBufferAppendEvent.from_audio(audio[start : start + chunk]))
        seen = await until(conn, InputAudioBufferCommittedEvent)
        stopped = next(e for e in seen if e.type == "input_audio_buffer.speech_stopped")
        # Drop only once the client has read the commit: an abort discards frames in flight.
        (handle,) = await server.wait_for_connections(1)
        handle.drop_soon()
        report = (await until(conn, ConnectionRestored))[-1]
        after_commit = total_ms - stopped.audio_end_ms
        assert after_commit > 300  # the test means something: audio followed the commit
        # Whole appends are kept: what followed the commit, plus at most one append's overlap.
        assert after_commit <= report.replayed_audio_ms < after_commit + 100
