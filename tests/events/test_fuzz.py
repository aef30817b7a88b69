"""Fuzz invariant: whatever arrives, the decoders return a typed event or raise DecodeError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.errors import DecodeError
from realtime_kit.events import (
    ClientEventBase,
    ServerEventBase,
    decode_client_event,
    decode_server_event,
    encode_event,
)
from tests.events.strategies import event_components, json_value

KNOWN_TYPES = sorted(set(event_components("server")) | set(event_components("client")))


def _outcome(data: str | bytes) -> None:
    for decode, base in ((decode_server_event, ServerEventBase),
                         (decode_client_event, ClientEventBase)):  # fmt: skip
        try:
            event = decode(data)
        except DecodeError:
            continue
        assert isinstance(event, base)
        # Whatever decoded also encodes, and decodes again to the same thing.
        assert decode(encode_event(event)) == event


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_arbitrary_bytes(data: bytes) -> None:
    _outcome(data)


@given(json_value)
@settings(max_examples=300)
def test_arbitrary_json(value: Any) -> None:
    _outcome(json.dumps(value))


@given(
    st.sampled_from(KNOWN_TYPES),
    st.dictionaries(
        st.sampled_from(["event_id", "item", "item_id", "response", "session", "delta", "audio",
                         "error", "part", "usage", "content_index", "rate_limits", "x"]),
        json_value,
        max_size=5,
    ),
)  # fmt: skip
@settings(max_examples=500)
def test_known_types_with_arbitrary_bodies(event_type: str, body: dict[str, Any]) -> None:
    _outcome(json.dumps({**body, "type": event_type}).encode())
