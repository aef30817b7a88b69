"""The concatenating fast path for audio appends writes exactly what pydantic would write."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.events import (
    InputAudioBufferAppendEvent,
    SessionInputAudioBufferAppendEvent,
    decode_client_event,
    encode_event,
)
from realtime_kit.events._codec import _APPEND_HEADS, _encode_append

CLASSES = st.sampled_from([InputAudioBufferAppendEvent, SessionInputAudioBufferAppendEvent])


def _slow(event: InputAudioBufferAppendEvent | SessionInputAudioBufferAppendEvent) -> bytes:
    return event.__pydantic_serializer__.to_json(event, exclude_unset=True, by_alias=True)


@given(cls=CLASSES, audio=st.text(), event_id=st.none() | st.text())
def test_fast_path_matches_the_serializer_or_steps_aside(
    cls: type[InputAudioBufferAppendEvent], audio: str, event_id: str | None
) -> None:
    fields = {"audio": audio} if event_id is None else {"audio": audio, "event_id": event_id}
    event = cls(**fields)
    fast = _encode_append(event, _APPEND_HEADS[cls])
    slow = _slow(event)
    if fast is not None:
        assert fast == slow
    assert encode_event(event) == slow
    assert decode_client_event(encode_event(event)) == event


@given(
    pcm=st.binary(max_size=4096),
    event_id=st.none() | st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
)
def test_real_appends_take_the_fast_path(pcm: bytes, event_id: str | None) -> None:
    event = InputAudioBufferAppendEvent.from_audio(pcm, event_id=event_id)
    fast = _encode_append(event, _APPEND_HEADS[InputAudioBufferAppendEvent])
    assert fast is not None
    assert json.loads(fast) == json.loads(_slow(event))


def test_unusual_appends_take_the_general_path() -> None:
    unusual = [
        InputAudioBufferAppendEvent(audio="QUJD", event_id=None),  # explicit null is written
        InputAudioBufferAppendEvent(audio="QUJD", extra_field=1),  # unknown fields kept
        InputAudioBufferAppendEvent(audio='a"b'),  # needs escaping
        InputAudioBufferAppendEvent(audio="line\nbreak"),
    ]
    for event in unusual:
        assert _encode_append(event, _APPEND_HEADS[InputAudioBufferAppendEvent]) is None
        assert encode_event(event) == _slow(event)
