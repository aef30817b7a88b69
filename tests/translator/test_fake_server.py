"""The fake server's translation sessions: realistic timing, validation, shared translator.

Driven with a raw JSON client over real loopback sockets (the client runs in worker threads, so
these run on asyncio only).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from realtime_kit.testing import (
    FakeClock,
    FakeRealtimeServer,
    ScriptedTranslator,
    TranslationTiming,
)
from realtime_kit.testing._audio import silence
from tests.testing._client import Client, open_client

pytestmark = pytest.mark.anyio

TRANSLATE = "/realtime/translations?model=gpt-realtime-translate"
FRAME = 9_600


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def server() -> AsyncIterator[FakeRealtimeServer]:
    timing = TranslationTiming(delay_ms=600, chunk_ms=(120, 200, 80), languages=frozenset({"de"}))
    translator = ScriptedTranslator(timing=timing)
    async with FakeRealtimeServer(clock=FakeClock(), seed=3, translator=translator) as srv:
        yield srv


async def start(server: FakeRealtimeServer, session: dict[str, Any] | None = None) -> Client:
    c = await open_client(server.ws_base_url + TRANSLATE)
    await c.expect("session.created")
    update = session or {"audio": {"output": {"language": "de"}}}
    await c.send({"type": "session.update", "session": update})
    await c.expect("session.updated")
    return c


async def append(c: Client, pcm: bytes) -> None:
    for i in range(0, len(pcm), FRAME):
        chunk = base64.b64encode(pcm[i : i + FRAME]).decode()
        await c.send({"type": "session.input_audio_buffer.append", "audio": chunk})


async def test_output_lags_its_sentence_in_chunks_of_varying_length(
    server: FakeRealtimeServer,
) -> None:
    c = await start(
        server,
        {
            "audio": {
                "output": {"language": "de"},
                "input": {"transcription": {"model": "gpt-realtime-whisper"}},
            }
        },
    )
    sentences = ("Where is the station?", "The train leaves at noon.")
    pcm = b"".join(silence(400) + server.speak(s) + silence(1600) for s in sentences)
    await append(c, pcm)  # the input runs far ahead of the output
    await c.send({"type": "session.close"})
    events = await c.recv_until("session.closed")
    stamped = [e for e in events if "elapsed_ms" in e]
    stamps = [e["elapsed_ms"] for e in stamped]
    assert stamps == sorted(stamps)  # never backwards, also across sentences
    assert all(s % 200 == 0 for s in stamps)
    assert max(stamps) <= -(-len(pcm) // FRAME) * 200
    sources = [e for e in stamped if e["type"] == "session.input_transcript.delta"]
    assert "".join(e["delta"] for e in sources) == " ".join(sentences)  # spaces included
    # Each sentence's translation starts delay_ms after the frame its sentence ended in.
    ends = sorted({e["elapsed_ms"] for e in sources})
    firsts = [
        next(
            e["elapsed_ms"]
            for e in stamped
            if e["type"].startswith("session.output") and e["elapsed_ms"] >= end
        )
        for end in ends
    ]
    assert firsts == [end + 600 for end in ends]
    sizes = [
        len(base64.b64decode(e["delta"])) // 48
        for e in events
        if e["type"] == "session.output_audio.delta"
    ]
    assert set(sizes[:6]) <= {120, 200, 80}
    assert sizes[:3] == [120, 200, 80]
    # A sentence's first word comes with (before) its first audio chunk.
    kinds = [e["type"] for e in events if e["type"].startswith("session.output")]
    assert kinds[0] == "session.output_transcript.delta"
    text = "".join(e["delta"] for e in events if e["type"] == "session.output_transcript.delta")
    assert text == " ".join(f"[de] {s}" for s in sentences)
    assert await c.closed() == (1000, "")


async def test_only_24_khz_pcm16_and_known_languages(server: FakeRealtimeServer) -> None:
    c = await open_client(server.ws_base_url + TRANSLATE)
    await c.expect("session.created")
    bad_format = {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}}
    await c.send({"type": "session.update", "session": bad_format, "event_id": "f1"})
    error = (await c.expect("error"))["error"]
    assert (error["code"], error["param"], error["event_id"]) == (
        "invalid_value",
        "session.audio.input.format",
        "f1",
    )
    assert "24 kHz PCM16" in error["message"]
    for fmt in ({"type": "audio/pcmu"}, "pcm16"):
        await c.send({"type": "session.update", "session": {"audio": {"input": {"format": fmt}}}})
        assert (await c.expect("error"))["error"]["param"] == "session.audio.input.format"
    good = {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}}
    await c.send({"type": "session.update", "session": good})
    updated = (await c.expect("session.updated"))["session"]
    assert "format" not in updated["audio"]["input"]
    await c.send({"type": "session.update", "session": {"audio": {"output": {"language": "fr"}}}})
    error = (await c.expect("error"))["error"]
    assert error["param"] == "session.audio.output.language"
    assert "Unsupported output language 'fr'" in error["message"]
    # Whole PCM16 samples only.
    odd = base64.b64encode(b"\x00\x01\x02").decode()
    await c.send({"type": "session.input_audio_buffer.append", "audio": odd})
    assert (await c.expect("error"))["error"]["param"] == "audio"
    await c.close()


async def test_nothing_is_taken_after_session_close() -> None:
    clock = FakeClock(auto_advance=False)  # the output waits for the test to move the clock
    async with FakeRealtimeServer(clock=clock, pace=1.0) as server:
        c = await start(server, {"audio": {"output": {"language": "es"}}})
        await append(c, silence(400) + server.speak("Where is the station?") + silence(1000))
        await c.send({"type": "session.close"})
        await c.send({"type": "session.input_audio_buffer.append", "audio": "AAAA"})
        error = (await c.recv_until("error"))[-1]["error"]
        assert error["message"] == "The session is closing."
        clock.advance(60)
        events = await c.recv_until("session.closed")
        text = "".join(e["delta"] for e in events if e["type"].endswith("transcript.delta"))
        assert text == "[es] Where is the station?"  # the pending sentence still came out
        await c.close()


async def test_concurrent_sessions_share_one_scripted_translator(
    server: FakeRealtimeServer,
) -> None:
    script = server.state.parts.translator
    assert isinstance(script, ScriptedTranslator)
    pcm = silence(400) + server.speak("I would like a coffee please.") + silence(1200)
    texts: list[str] = []

    async def one() -> None:
        c = await start(server)
        await append(c, pcm)
        await c.send({"type": "session.close"})
        events = await c.recv_until("session.closed")
        texts.append("".join(e["delta"] for e in events if e["type"].endswith("transcript.delta")))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(one)
    assert texts == ["[de] I would like a coffee please."] * 3
    assert script.calls == [("I would like a coffee please.", "de")] * 3
    for a, b in itertools.pairwise(server.connections):
        assert a.session.elapsed_ms == b.session.elapsed_ms
