"""TranslationTimeline against the fake server: a dropped translation session, continued.

The timeline is sans-I/O; here it is driven by hand over real loopback sockets, the way the
connection will drive it, and checked against an uninterrupted run of the same audio.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from realtime_kit.events import decode_server_event, encode_event
from realtime_kit.protocol import TranslationTimeline
from realtime_kit.testing import FakeRealtimeServer
from realtime_kit.testing._audio import silence
from tests.testing._client import Client, open_client

pytestmark = pytest.mark.anyio

TRANSLATE = "/realtime/translations?model=gpt-realtime-translate"
CONFIG = {
    "audio": {
        "output": {"language": "de"},
        "input": {"transcription": {"model": "gpt-realtime-whisper"}},
    }
}
FIRST, SECOND = "Where is the station?", "I would like a coffee please."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def start(server: FakeRealtimeServer) -> Client:
    c = await open_client(server.ws_base_url + TRANSLATE)
    await c.expect("session.created")
    await c.send({"type": "session.update", "session": CONFIG})
    await c.expect("session.updated")
    return c


async def send(c: Client, timeline: TranslationTimeline | None, pcm: bytes) -> None:
    for i in range(0, len(pcm), 9600):
        chunk = pcm[i : i + 9600]
        if timeline is not None:
            timeline.append(chunk)
        await c.send(
            {"type": "session.input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()}
        )


async def captions_until(
    c: Client, timeline: TranslationTimeline | None, text: str
) -> list[tuple[int, str]]:
    """(original-timeline ms, delta) of output transcript deltas, until they spell ``text``."""
    got: list[tuple[int, str]] = []
    # A later sentence starts with a space (the stream is append-only, spaces included).
    while "".join(d for _, d in got).strip() != text:
        raw: dict[str, Any] = await c.recv()
        event = decode_server_event(json.dumps(raw))
        stamp = timeline.observe(event) if timeline is not None else raw.get("elapsed_ms")
        if raw["type"] == "session.output_transcript.delta":
            got.append((int(stamp or 0), raw["delta"]))
    return got


async def test_a_dropped_session_continues_with_captions_on_the_original_timeline(
    server: FakeRealtimeServer,
) -> None:
    first = silence(400) + server.speak(FIRST) + silence(800)
    head = silence(600) + server.speak(SECOND)
    cut = len(head) // 2 // 9600 * 9600  # the drop comes mid-sentence
    rest = silence(800)

    # Uninterrupted reference run.
    c = await start(server)
    await send(c, None, first)
    reference = await captions_until(c, None, f"[de] {FIRST}")
    await send(c, None, head + rest)
    reference += await captions_until(c, None, f"[de] {SECOND}")
    await c.close()

    # The same audio, with the socket dropped halfway through the second sentence.
    timeline = TranslationTimeline()
    c = await start(server)
    await send(c, timeline, first)
    captions = await captions_until(c, timeline, f"[de] {FIRST}")
    await send(c, timeline, head[:cut])
    await c.close()  # gone: the second sentence was never translated

    plan = timeline.reconnect()
    assert plan.lost == ()
    assert plan.offset_ms <= len(first) // 48  # re-sending starts before the second sentence
    assert b"".join(plan.resent) == (first + head[:cut])[plan.offset_ms * 48 :]
    c = await start(server)
    for event in plan.events():
        await c.send_raw(encode_event(event).decode())
    await send(c, timeline, head[cut:] + rest)
    captions += await captions_until(c, timeline, f"[de] {SECOND}")
    await c.close()

    assert timeline.offset_ms == plan.offset_ms > 0
    # Same words, same places on the original timeline (a new session's first word has no
    # leading space).
    assert [(t, d.strip()) for t, d in captions] == [(t, d.strip()) for t, d in reference]
