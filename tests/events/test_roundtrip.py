"""Every event type round-trips: payload → decode → encode → the same JSON, extras included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_kit.events import (
    CLIENT_EVENT_CLASSES,
    SERVER_EVENT_CLASSES,
    UnknownClientEvent,
    UnknownServerEvent,
    decode_client_event,
    decode_server_event,
    encode_event,
)
from tests.events.strategies import event_components, payloads

SERVER = event_components("server")
CLIENT = event_components("client")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _class_of(wire: str, classes: tuple[type, ...]) -> type:
    for cls in classes:
        if cls.model_fields["type"].default == wire:
            return cls
    raise AssertionError(f"no class for {wire}")


def test_every_schema_event_has_a_class() -> None:
    assert {c.model_fields["type"].default for c in SERVER_EVENT_CLASSES} == set(SERVER)
    assert {c.model_fields["type"].default for c in CLIENT_EVENT_CLASSES} == set(CLIENT)
    assert len(SERVER) == 50  # 46 realtime + 4 translation-only; error/session.* are shared
    assert len(CLIENT) == 13  # 11 realtime + 2 translation-only; session.update is shared


def _check(payload: dict[str, Any], decode: Any, classes: tuple[type, ...]) -> None:
    event = decode(json.dumps(payload))
    assert type(event) is _class_of(payload["type"], classes)
    encoded = encode_event(event)
    assert json.loads(encoded) == payload
    again = decode(encoded)
    assert again == event


@pytest.mark.parametrize(
    "component", [c for cs in SERVER.values() for c in cs], ids=lambda c: c.removeprefix("Realtime")
)
@SETTINGS
@given(data=st.data())
def test_server_event_round_trip(component: str, data: st.DataObject) -> None:
    _check(data.draw(payloads(component, extras=False)), decode_server_event, SERVER_EVENT_CLASSES)


@pytest.mark.parametrize(
    "component", [c for cs in SERVER.values() for c in cs], ids=lambda c: c.removeprefix("Realtime")
)
@SETTINGS
@given(data=st.data())
def test_server_event_round_trip_with_unknown_fields(component: str, data: st.DataObject) -> None:
    _check(data.draw(payloads(component, extras=True)), decode_server_event, SERVER_EVENT_CLASSES)


@pytest.mark.parametrize(
    "component", [c for cs in CLIENT.values() for c in cs], ids=lambda c: c.removeprefix("Realtime")
)
@SETTINGS
@given(data=st.data())
def test_client_event_round_trip(component: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(component, extras=data.draw(st.booleans())))
    _check(payload, decode_client_event, CLIENT_EVENT_CLASSES)


@given(
    name=st.from_regex(r"\A[a-z_]+(\.[a-z_]+){1,3}\Z"),
    body=st.dictionaries(
        st.sampled_from(["a", "b", "event_id", "item"]), st.integers() | st.text()
    ),
)
@settings(max_examples=60)
def test_unknown_event_types_are_kept_whole(name: str, body: dict[str, Any]) -> None:
    payload = {**body, "type": "future." + name}
    if "event_id" in payload and not isinstance(payload["event_id"], str):
        payload["event_id"] = str(payload["event_id"])
    server = decode_server_event(json.dumps(payload))
    client = decode_client_event(json.dumps(payload).encode())
    assert isinstance(server, UnknownServerEvent)
    assert isinstance(client, UnknownClientEvent)
    assert server.type == payload["type"]
    assert server.raw == payload == client.raw
    assert json.loads(encode_event(server)) == payload
