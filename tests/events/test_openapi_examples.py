"""Every realtime example in OpenAI's OpenAPI document decodes to its typed class.

The document's examples are written by hand and carry typos; each is treated as follows:

* ``//`` comments and trailing commas (JavaScript habits, several examples): not JSON, so our
  strict decoder raises ``DecodeError`` on the text as published; with those two habits
  repaired, the example must decode to its class.
* ``" input_audio_buffer.dtmf_event_received"`` (a leading space in ``type``): types are exact,
  so it decodes to ``UnknownServerEvent`` (nothing lost); without the space it is the DTMF event.
* Fields an example shows that no schema has (``format`` on retrieved audio content,
  ``language`` on a translation session's transcription): kept and reported as drift.
* ``transcription_session.*`` (the retired beta shape): not GA events, so unknown.

Needs ../shared (CI has it); skipped on a user's checkout.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from realtime_kit.errors import DecodeError
from realtime_kit.events import (
    EventDecoder,
    InputAudioBufferDtmfEventReceivedEvent,
    UnknownClientEvent,
    UnknownServerEvent,
)
from tests.conftest import OPENAPI, needs_shared
from tests.events.strategies import wire_type

pytestmark = needs_shared()

EXPECTED_DRIFT = {
    "RealtimeServerEventConversationItemRetrieved": {
        ("conversation.item.retrieved", "item.content[0].format")
    },
    "RealtimeTranslationServerEventSessionCreated": {
        ("session.created", "session.audio.input.transcription.language")
    },
    "RealtimeTranslationServerEventSessionUpdated": {
        ("session.updated", "session.audio.input.transcription.language")
    },
}
BETA_ONLY = {"RealtimeClientEventTranscriptionSessionUpdate",
             "RealtimeServerEventTranscriptionSessionUpdated"}  # fmt: skip
PREFIXES = ("RealtimeServerEvent", "RealtimeClientEvent", "RealtimeTranslationServerEvent",
            "RealtimeTranslationClientEvent")  # fmt: skip


@cache
def _examples() -> dict[str, str]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(OPENAPI.read_text(encoding="utf-8"), Loader=loader)
    out = {}
    for name, schema in document["components"]["schemas"].items():
        example = (schema.get("x-oaiMeta") or {}).get("example")
        if name.startswith(PREFIXES) and example:
            out[name] = example
    return out


def _repair(text: str) -> list[Any]:
    """Undo the two JavaScript habits; return every JSON object the example holds."""
    text = re.sub(r"(?m)(^|\s)//[^\n]*", r"\1", text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    text = re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*:)", r'\1"\2"\3', text)
    decoder, objects, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        value, index = decoder.raw_decode(text, index)
        objects.append(value)
    return objects


def _names() -> list[str]:
    return sorted(_examples()) if OPENAPI.exists() else []


def test_the_document_has_an_example_for_every_event() -> None:
    assert len(_examples()) == 68


@pytest.mark.parametrize("name", _names())
def test_example_decodes_to_its_class(name: str) -> None:
    text = _examples()[name]
    decoder = EventDecoder()
    decode = decoder.decode_client if "ClientEvent" in name else decoder.decode_server
    try:
        json.loads(text)
    except json.JSONDecodeError:
        with pytest.raises(DecodeError, match="not valid JSON"):
            decode(text)
    for payload in _repair(text):
        event = decode(json.dumps(payload))
        if name in BETA_ONLY:
            assert isinstance(event, (UnknownServerEvent, UnknownClientEvent))
            continue
        if payload["type"] != payload["type"].strip():  # the DTMF typo
            assert isinstance(event, UnknownServerEvent)
            assert event.raw == payload
            fixed = decode(json.dumps({**payload, "type": payload["type"].strip()}))
            assert isinstance(fixed, InputAudioBufferDtmfEventReceivedEvent)
            continue
        assert not isinstance(event, (UnknownServerEvent, UnknownClientEvent))
        assert event.type == wire_type(name)
    expected = EXPECTED_DRIFT.get(name, set())
    assert set(decoder.drift.unknown_fields) == expected
    assert not decoder.drift.unknown_variants
