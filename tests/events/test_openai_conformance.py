"""Conformance with the official ``openai`` package (pinned in the dev extra).

Every event type in its realtime and translation unions is modelled here; payloads its models
produce decode into ours with the same values; what we encode, its models accept unchanged.
"""

from __future__ import annotations

import functools
import json
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.realtime import (
    realtime_client_event,
    realtime_server_event,
    realtime_translation_client_event,
    realtime_translation_server_event,
)
from pydantic import BaseModel, ValidationError

from realtime_kit.events import (
    CLIENT_EVENT_CLASSES,
    SERVER_EVENT_CLASSES,
    UnknownClientEvent,
    UnknownServerEvent,
    decode_client_event,
    decode_server_event,
    encode_event,
)
from tests.events.strategies import SCHEMA, payloads, payloads_from_json_schema, wire_type

# Where the SDK's types are narrower than the published document (e.g. a string the document
# leaves free that the SDK pins to one literal, or a field it requires), a payload valid for the
# document can fail their model; those are the only failures allowed.
NARROWER_IN_SDK = {
    "literal_error",
    "missing",
    "union_tag_invalid",
    "enum",
    "int_type",
    "string_type",
    "int_from_float",
    "float_type",
}

UNIONS = {
    ("server", "realtime"): realtime_server_event.RealtimeServerEvent,
    ("client", "realtime"): realtime_client_event.RealtimeClientEvent,
    ("server", "translation"): realtime_translation_server_event.RealtimeTranslationServerEvent,
    ("client", "translation"): realtime_translation_client_event.RealtimeTranslationClientEvent,
}


def _members(union: Any) -> dict[str, type[BaseModel]]:
    inner = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in inner}


@functools.cache
def _sdk_payloads(cls: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    return payloads_from_json_schema(cls.model_json_schema())


def _cases() -> list[tuple[str, str, str]]:
    return [
        (direction, kind, component)
        for (direction, kind) in UNIONS
        for component in SCHEMA["events"][direction][kind]
    ]


@pytest.mark.parametrize(("direction", "kind"), list(UNIONS))
def test_every_sdk_event_type_is_modelled(direction: str, kind: str) -> None:
    ours = SERVER_EVENT_CLASSES if direction == "server" else CLIENT_EVENT_CLASSES
    modelled = {cls.model_fields["type"].default for cls in ours}
    theirs = set(_members(UNIONS[(direction, kind)]))
    assert theirs <= modelled, theirs - modelled


@pytest.mark.parametrize(("direction", "kind", "component"), _cases(), ids=str)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_payloads_agree_both_ways(
    direction: str, kind: str, component: str, data: st.DataObject
) -> None:
    sdk_cls = _members(UNIONS[(direction, kind)])[wire_type(component)]
    decode = decode_server_event if direction == "server" else decode_client_event

    # Theirs → ours: a payload built from their model's own schema, validated by their model,
    # decodes into ours with the same values and re-encodes unchanged.
    sdk_payload = data.draw(_sdk_payloads(sdk_cls))
    theirs = sdk_cls.model_validate(sdk_payload)
    their_json = theirs.model_dump(mode="json", exclude_unset=True, by_alias=True)
    ours = decode(json.dumps(their_json))
    assert not isinstance(ours, (UnknownServerEvent, UnknownClientEvent))
    assert json.loads(encode_event(ours)) == their_json

    # Ours → theirs: what we encode from a payload valid for the published schema, their model
    # accepts, unless the SDK narrows a type the document leaves open (then it must be that).
    payload = data.draw(payloads(component, extras=False))
    encoded = json.loads(encode_event(decode(json.dumps(payload))))
    try:
        accepted = sdk_cls.model_validate(encoded)
    except ValidationError as exc:
        rejected = {error["type"] for error in exc.errors()}
    else:
        assert accepted.model_dump(mode="json", exclude_unset=True, by_alias=True) == encoded
        return
    assert rejected <= NARROWER_IN_SDK
