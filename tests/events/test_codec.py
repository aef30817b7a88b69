"""The codec's contract: omitted vs null, errors, drift, strictness, audio helpers, secrets."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from realtime_kit import events as ev
from realtime_kit.errors import AudioError, DecodeError, EncodeError, RealtimeKitError
from realtime_kit.events import (
    EventDecoder,
    UnknownObject,
    UnknownServerEvent,
    decode_client_event,
    decode_server_event,
    encode_event,
)

DELTA = {
    "type": "response.output_audio.delta",
    "event_id": "event_1",
    "response_id": "resp_1",
    "item_id": "item_1",
    "output_index": 0,
    "content_index": 0,
}


def test_omitted_stays_omitted_and_null_stays_null() -> None:
    update = ev.SessionUpdateEvent(
        session=ev.RealtimeSessionConfig(
            instructions="be brief",
            audio=ev.RealtimeAudioConfig(
                input=ev.RealtimeAudioInputConfig(turn_detection=None, noise_reduction=None)
            ),
        )
    )
    payload = json.loads(encode_event(update))
    assert payload == {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "instructions": "be brief",
            "audio": {"input": {"turn_detection": None, "noise_reduction": None}},
        },
    }
    # Decoding keeps the distinction too: the server's explicit nulls come back as nulls.
    wire = b'{"type":"session.update","session":{"type":"realtime","tools":[],"tracing":null}}'
    assert json.loads(encode_event(decode_client_event(wire))) == json.loads(wire)


def test_type_constants_are_always_written() -> None:
    assert encode_event(ev.InputAudioBufferCommitEvent()) == b'{"type":"input_audio_buffer.commit"}'
    vad = ev.SessionUpdateEvent(
        session=ev.TranscriptionSessionConfig(
            audio=ev.TranscriptionSessionConfigAudio(
                input=ev.RealtimeAudioInputConfig(turn_detection=ev.ServerVad(threshold=0.6))
            )
        )
    )
    turn = json.loads(encode_event(vad))["session"]["audio"]["input"]["turn_detection"]
    assert turn == {"type": "server_vad", "threshold": 0.6}


def test_type_is_written_for_events_validated_from_dicts_without_it() -> None:
    event = ev.ConversationItemDeleteEvent.model_validate({"item_id": "item_1"})
    assert json.loads(encode_event(event)) == {
        "type": "conversation.item.delete",
        "item_id": "item_1",
    }


def test_session_created_dispatches_on_session_type() -> None:
    kinds = {
        "realtime": ev.RealtimeSession,
        "transcription": ev.TranscriptionSession,
        "translation": ev.TranslationSession,
    }
    for kind, cls in kinds.items():
        session = {"type": kind, "id": "sess_1", "object": "realtime.session"}
        if kind == "translation":
            session = {"type": kind, "id": "sess_1", "expires_at": 1, "model": "m", "audio": {}}
        event = decode_server_event(
            json.dumps({"type": "session.created", "event_id": "e", "session": session})
        )
        assert isinstance(event, ev.SessionCreatedEvent)
        assert type(event.session) is cls


def test_translation_session_update_has_no_type() -> None:
    wire = b'{"type":"session.update","session":{"audio":{"output":{"language":"de"}}}}'
    event = decode_client_event(wire)
    assert isinstance(event, ev.SessionUpdateEvent)
    assert isinstance(event.session, ev.TranslationSessionConfig)
    assert encode_event(event) == wire


@pytest.mark.parametrize(
    ("data", "event_type", "field", "words"),
    [
        (b"not json", None, None, "not valid JSON"),
        (b"\xff\xfe", None, None, "not valid JSON"),
        (b"[1, 2]", None, None, "not a JSON object"),
        (b'"text"', None, None, "not a JSON object"),
        (b"{}", None, "type", "no 'type'"),
        (b'{"type": 7}', None, "type", "not a string"),
        (
            b'{"type":"input_audio_buffer.speech_started","audio_start_ms":"x","item_id":"i"}',
            "input_audio_buffer.speech_started",
            "audio_start_ms",
            "integer",
        ),
        (
            b'{"type":"response.done","response":{"output":[{"type":"message","role":"user",'
            b'"content":"nope"}]}}',
            "response.done",
            "response.output[0].content",
            "array",
        ),
        (
            b'{"type":"conversation.item.deleted","event_id":"e"}',
            "conversation.item.deleted",
            "item_id",
            "required",
        ),
    ],
)
def test_invalid_input_raises_decode_error_naming_type_and_field(
    data: bytes, event_type: str | None, field: str | None, words: str
) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_server_event(data)
    assert caught.value.event_type == event_type
    assert caught.value.field == field
    assert words in str(caught.value)
    assert isinstance(caught.value, RealtimeKitError)
    assert caught.value.__cause__ is None  # no pydantic or json exception leaks through


def test_dtmf_event_without_event_id_is_accepted() -> None:
    event = decode_server_event(
        b'{"type":"input_audio_buffer.dtmf_event_received","event":"5","received_at":17}'
    )
    assert isinstance(event, ev.InputAudioBufferDtmfEventReceivedEvent)
    assert event.event_id is None
    assert event.event == "5"


def test_content_parts_accept_beta_and_ga_names() -> None:
    for part_type in ("audio", "output_audio"):
        event = decode_server_event(
            json.dumps(
                {
                    **DELTA,
                    "type": "response.content_part.added",
                    "part": {"type": part_type, "transcript": ""},
                }
            )
        )
        assert isinstance(event, ev.ResponseContentPartAddedEvent)
        assert event.part.type == part_type


def test_drift_is_counted_per_decoder_and_strict_mode_refuses_it() -> None:
    decoder = EventDecoder()
    payload = {
        "type": "response.done",
        "event_id": "e",
        "response": {
            "id": "r",
            "future": 1,
            "output": [
                {"type": "hologram", "beam": 3},
                {"type": "message", "role": "assistant", "content": [], "mood": "ok"},
            ],
        },
    }
    event = decoder.decode_server(json.dumps(payload))
    assert isinstance(event, ev.ResponseDoneEvent)
    assert isinstance(event.response.output[0], UnknownObject)
    assert event.response.output[0].model_extra == {"beam": 3}
    assert dict(decoder.drift.unknown_fields) == {
        ("response.done", "response.future"): 1,
        ("response.done", "response.output[1].mood"): 1,
    }
    assert dict(decoder.drift.unknown_variants) == {
        ("response.done", "response.output[0]", "hologram"): 1
    }
    decoder.decode_server(b'{"type":"response.teleport"}')
    assert decoder.drift.unknown_events == {"response.teleport": 1}
    assert "response.teleport" in str(decoder.drift)
    assert decoder.drift.as_dict()["unknown_events"] == {"response.teleport": 1}
    assert json.loads(encode_event(event)) == payload  # nothing was lost

    strict = EventDecoder(strict=True)
    with pytest.raises(DecodeError, match="unknown field"):
        strict.decode_server(json.dumps(payload))
    with pytest.raises(DecodeError, match="unknown event type"):
        strict.decode_server(b'{"type":"response.teleport"}')
    decoder.drift.clear()
    assert not decoder.drift
    assert "no drift" in str(decoder.drift)


def test_obfuscation_on_transcript_deltas_is_known_not_drift() -> None:
    decoder = EventDecoder(strict=True)
    event = decoder.decode_server(
        json.dumps(
            {
                **DELTA,
                "type": "response.output_audio_transcript.delta",
                "delta": "Hi",
                "obfuscation": "x7",
            }
        )
    )
    assert isinstance(event, ev.ResponseOutputAudioTranscriptDeltaEvent)
    assert event.obfuscation == "x7"


def test_audio_uses_the_standard_base64_alphabet() -> None:
    raw = bytes([0xFB, 0xEF, 0xFF, 0xFE, 0x3E, 0x3F] * 10)  # encodes to '+' and '/' characters
    event = ev.InputAudioBufferAppendEvent.from_audio(raw)
    assert event.audio == base64.standard_b64encode(raw).decode()
    assert "+" in event.audio
    assert "/" in event.audio
    assert event.audio_bytes() == raw
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    delta = decode_server_event(json.dumps({**DELTA, "delta": urlsafe}))
    assert isinstance(delta, ev.ResponseOutputAudioDeltaEvent)
    with pytest.raises(DecodeError, match="base64"):
        delta.audio_bytes()


def test_pcm16_helpers_share_memory_and_check_shapes() -> None:
    samples = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    from_array = ev.InputAudioBufferAppendEvent.from_audio(samples, event_id="evt_7")
    from_bytes = ev.InputAudioBufferAppendEvent.from_audio(samples.astype("<i2").tobytes())
    assert from_array.audio == from_bytes.audio
    assert from_array.event_id == "evt_7"
    delta = decode_server_event(json.dumps({**DELTA, "delta": from_array.audio}))
    assert isinstance(delta, ev.ResponseOutputAudioDeltaEvent)
    out = delta.pcm16_array()
    assert out.dtype == np.dtype("<i2")
    assert out.tolist() == samples.tolist()
    assert not out.flags.writeable  # a view over the decoded bytes, not a copy
    strided = np.arange(10, dtype=np.int16)[::2]
    assert ev.InputAudioBufferAppendEvent.from_audio(strided).pcm16_array().tolist() == [
        0,
        2,
        4,
        6,
        8,
    ]
    with pytest.raises(AudioError, match="int16"):
        ev.InputAudioBufferAppendEvent.from_audio(np.zeros(4, dtype=np.float32))  # type: ignore[arg-type]
    odd = ev.SessionInputAudioBufferAppendEvent.from_audio(b"\x00\x01\x02")
    with pytest.raises(AudioError, match="even"):
        odd.pcm16_array()
    assert json.loads(encode_event(odd))["type"] == "session.input_audio_buffer.append"


def test_repr_hides_audio_and_secrets() -> None:
    delta = decode_server_event(json.dumps({**DELTA, "delta": "QUFB" * 400}))
    assert "QUFB" not in repr(delta)
    assert "bytes of audio" in repr(delta)
    secret = ev.ClientSecretCreateResponse.model_validate(
        {
            "value": "ek_live_secret",
            "expires_at": 1,
            "session": {
                "type": "transcription",
                "id": "sess",
                "object": "realtime.transcription_session",
            },
        }
    )
    tool = ev.McpTool(server_label="crm", authorization="Bearer sk-hidden", headers={"X-Key": "k"})
    assert "ek_live_secret" not in repr(secret)
    assert "sk-hidden" not in repr(tool)
    assert "X-Key" not in repr(tool)
    assert secret.value == "ek_live_secret"


def test_unknown_event_round_trip_and_encode_refuses_non_events() -> None:
    event = decode_server_event(b'{"type":"response.brand_new","event_id":"e","deep":{"a":[1]}}')
    assert isinstance(event, UnknownServerEvent)
    assert not isinstance(event, ev.ConversationCreatedEvent)  # the official SDK's misparse
    assert event.raw == {"type": "response.brand_new", "event_id": "e", "deep": {"a": [1]}}
    assert encode_event(event) == b'{"type":"response.brand_new","event_id":"e","deep":{"a":[1]}}'
    with pytest.raises(EncodeError):
        encode_event(ev.ServerVad())  # type: ignore[arg-type]


def test_item_reference_in_response_create_input() -> None:
    create = ev.ResponseCreateEvent(
        response=ev.ResponseCreateParams(
            conversation="none",
            input=[
                ev.ItemReference(id="item_9"),
                ev.UserMessageItem(
                    role="user", content=[ev.UserMessageItemContent(type="input_text", text="hi")]
                ),
            ],
        )
    )
    payload = json.loads(encode_event(create))
    assert payload["response"]["input"] == [
        {"type": "item_reference", "id": "item_9"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
    ]
    again = decode_client_event(encode_event(create))
    assert isinstance(again, ev.ResponseCreateEvent)
    assert again.response is not None
    assert again.response.input is not None
    assert isinstance(again.response.input[0], ev.ItemReference)
    assert isinstance(again.response.input[1], ev.UserMessageItem)
