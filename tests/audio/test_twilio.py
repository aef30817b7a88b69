"""Twilio Media Streams: message shapes, μ-law payloads, and mark-driven playback tracking."""

from __future__ import annotations

import base64
import contextlib
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.audio import PCMFrame, PlaybackClock, g711
from realtime_kit.audio.twilio import (
    TwilioClearMessage,
    TwilioDtmfMessage,
    TwilioInbound,
    TwilioMarkMessage,
    TwilioMediaMessage,
    TwilioPlayback,
    TwilioStartMessage,
    TwilioStopMessage,
    TwilioUnknownMessage,
    encode_twilio_message,
    parse_twilio_message,
)
from realtime_kit.errors import ConfigurationError, DecodeError

from ._util import sine

START = {
    "event": "start",
    "sequenceNumber": "1",
    "start": {
        "accountSid": "AC123",
        "streamSid": "MZ456",
        "callSid": "CA789",
        "tracks": ["inbound"],
        "customParameters": {"lang": "en"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    },
    "streamSid": "MZ456",
}


def test_start_message_parses_to_typed_fields() -> None:
    msg = parse_twilio_message(json.dumps(START))
    assert isinstance(msg, TwilioStartMessage)
    assert msg.start.stream_sid == "MZ456"
    assert msg.start.media_format.sample_rate == 8000
    assert msg.start.custom_parameters == {"lang": "en"}
    assert json.loads(encode_twilio_message(msg)) == START  # camelCase round trip


def test_every_inbound_kind_parses() -> None:
    payload = base64.b64encode(b"\xff" * 160).decode()
    frames = [
        {"event": "connected", "protocol": "Call", "version": "1.0.0"},
        {
            "event": "media",
            "sequenceNumber": "3",
            "streamSid": "MZ",
            "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": payload},
        },
        {"event": "mark", "sequenceNumber": "4", "streamSid": "MZ", "mark": {"name": "m1"}},
        {"event": "dtmf", "streamSid": "MZ", "dtmf": {"track": "inbound_track", "digit": "7"}},
        {"event": "stop", "streamSid": "MZ", "stop": {"accountSid": "AC", "callSid": "CA"}},
    ]
    parsed = [parse_twilio_message(json.dumps(f).encode()) for f in frames]
    assert [p.event for p in parsed] == ["connected", "media", "mark", "dtmf", "stop"]
    media = parsed[1]
    assert isinstance(media, TwilioMediaMessage)
    assert media.media.audio_bytes() == b"\xff" * 160
    assert isinstance(parsed[3], TwilioDtmfMessage)
    assert parsed[3].dtmf.digit == "7"
    assert isinstance(parsed[4], TwilioStopMessage)
    assert parsed[4].stop.call_sid == "CA"


def test_unknown_event_is_kept_not_crashed() -> None:
    msg = parse_twilio_message('{"event": "future", "x": 1}')
    assert isinstance(msg, TwilioUnknownMessage)
    assert msg.raw == {"event": "future", "x": 1}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("not json", "not JSON"),
        ("[1]", "string 'event'"),
        ('{"event": "mark", "mark": {}}', "mark"),
    ],
)
def test_bad_frames_raise_decode_error(data: str, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        parse_twilio_message(data)


def test_bad_base64_payload_raises_decode_error() -> None:
    msg = parse_twilio_message('{"event": "media", "media": {"payload": "@@@"}}')
    assert isinstance(msg, TwilioMediaMessage)
    with pytest.raises(DecodeError, match="base64"):
        msg.media.audio_bytes()


@settings(deadline=None)
@given(st.text(max_size=50))
def test_parse_never_raises_anything_but_decode_error(text: str) -> None:
    with contextlib.suppress(DecodeError):
        parse_twilio_message(text)


def test_outbound_shapes_match_the_wire() -> None:
    clear = json.loads(encode_twilio_message(TwilioClearMessage(stream_sid="MZ1")))
    assert clear == {"event": "clear", "streamSid": "MZ1"}


def _sent_audio(frames: list[str]) -> bytes:
    out = b""
    for f in frames:
        obj = json.loads(f)
        if obj["event"] == "media":
            assert set(obj) == {"event", "streamSid", "media"}
            assert set(obj["media"]) == {"payload"}
            out += base64.b64decode(obj["media"]["payload"])
    return out


def _marks(frames: list[str]) -> list[str]:
    return [json.loads(f)["mark"]["name"] for f in frames if json.loads(f)["event"] == "mark"]


def _ack(name: str) -> TwilioMarkMessage:
    msg = parse_twilio_message(json.dumps({"event": "mark", "mark": {"name": name}}))
    assert isinstance(msg, TwilioMarkMessage)
    return msg


def test_playback_converts_audio_and_heard_follows_mark_echoes() -> None:
    tp = TwilioPlayback("MZ1")
    tone = PCMFrame.from_float(sine(440, 24000, 0.4, 0.3))
    sent: list[list[str]] = [tp.send_audio(frame, "item_a") for frame in tone.chunks(100)]
    sent.append(tp.end_item("item_a"))
    ulaw = b"".join(_sent_audio(s) for s in sent)
    assert len(ulaw) == 3200  # 400 ms at 8 kHz, every sample delivered
    assert all(
        len(base64.b64decode(json.loads(f)["media"]["payload"])) <= 160
        for s in sent
        for f in s
        if json.loads(f)["event"] == "media"
    )
    decoded = g711.decode_ulaw(ulaw).astype(np.float32) / 32768
    assert float(np.sqrt(np.mean(decoded[800:-800] ** 2))) == pytest.approx(0.3 / 2**0.5, rel=0.05)
    marks = [_marks(s)[-1] for s in sent]
    clock = tp.clock
    assert clock.heard_ms("item_a") == 0
    # A mark covers only audio actually sent, never audio still inside the resampler.
    assert tp.on_message(_ack(marks[0]))
    first_sent_ms = len(_sent_audio(sent[0])) // 8
    assert clock.heard_ms("item_a") == first_sent_ms < 100
    assert tp.on_message(_ack(marks[-1]))
    assert clock.position("item_a").complete


def test_barge_in_sends_clear_and_reports_heard_per_item() -> None:
    tp = TwilioPlayback("MZ1")
    a = [tp.send_audio(f, "a") for f in PCMFrame.silence(300).chunks(100)]
    b = [tp.send_audio(f, "b") for f in PCMFrame.silence(100).chunks(100)]
    assert tp.on_message(_ack(_marks(a[1])[0]))
    heard_a = tp.clock.heard_ms("a")
    clear, cut = tp.barge_in()
    assert json.loads(clear) == {"event": "clear", "streamSid": "MZ1"}
    assert [(p.item_id, p.heard_ms) for p in cut] == [("a", heard_a), ("b", 0)]
    # Twilio echoes the marks it dropped; they must not move the clock.
    assert tp.on_message(_ack(_marks(b[0])[0])) is False
    assert tp.clock.heard_ms("b") == 0
    assert tp.on_message(TwilioClearMessage(stream_sid="x")) is False


def test_playback_needs_a_marks_clock() -> None:
    with pytest.raises(ConfigurationError, match="source='marks'"):
        TwilioPlayback("MZ", clock=PlaybackClock())


def test_inbound_audio_becomes_24k_pcm() -> None:
    tone = PCMFrame.from_float(sine(300, 8000, 0.3, 0.3), 8000)
    inbound = TwilioInbound()
    frames = []
    for chunk in tone.chunks(20):
        payload = base64.b64encode(g711.encode_ulaw(chunk)).decode()
        msg = TwilioMediaMessage.model_validate({"event": "media", "media": {"payload": payload}})
        frames.append(inbound.on_media(msg))
    frames.append(inbound.flush())
    pcm = PCMFrame.concat(frames)
    assert (pcm.rate, pcm.num_samples) == (24000, 7200)
