"""Mutation fuzz over the decoder and the protocol core (issue 12, defects 2 and 5).

The invariant, for any text a server could send: a typed event, or a typed
``DecodeError``/``RemoteProtocolError`` — nothing else — at a cost that grows with the size of
the input, not with how it is wrong. The cost is counted, not timed: the validator's error
count for a rejected frame is the work a rejection does beyond parsing, and it must stay
under a constant however many elements are wrong (a 100k-element list of the wrong type once
built 100k errors, 0.9 s and 165 MB).

Inputs are valid events built from the committed schema, then mutated: a subtree replaced by
something hostile (wrong types, long lists, deep nesting, huge numbers), a key dropped or
renamed, the text cut or spliced. The default run is a few hundred inputs in all; the long
profile (``RK_FUZZ_EXAMPLES=100000``) runs as many and adds a very generous time bound per input
(CPU seconds, proportional to size, with the collector held off), and prints how many inputs
ran.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from realtime_kit.errors import DecodeError, RemoteProtocolError
from realtime_kit.events import ServerEventBase, decode_server_event
from realtime_kit.events import _codec as codec
from realtime_kit.protocol import RealtimeProtocol
from tests.events.strategies import event_components, json_value, payloads

# Hypothesis warns when an input's repr is over 30 kB; ours are big on purpose (long lists).
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
EXAMPLES = int(os.environ.get("RK_FUZZ_EXAMPLES", "150"))
LONG = EXAMPLES >= 10_000
# Errors a rejection may build, whatever the input: one per union member along one path.
MAX_ERRORS = 64

SERVER_COMPONENTS = sorted({c for cs in event_components("server").values() for c in cs})

hostile_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**80),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["", "type", "audio/pcm", "response.done", "\u0000", "A" * 500]),
)


@st.composite
def hostile_value(draw: st.DrawFn) -> Any:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(hostile_leaf)
    if kind == 1:
        return draw(json_value)
    if kind == 2:  # a long list of one wrong thing: where amplification lived
        return [draw(hostile_leaf)] * draw(st.integers(0, 3000))
    if kind == 3:  # a long list of objects that look almost right
        return [{"type": draw(st.text(max_size=10))}] * draw(st.integers(0, 2000))
    if kind == 4:  # deep nesting (the JSON parser's limit is part of the contract)
        depth = draw(st.integers(1, 400))
        return json.loads("[" * depth + "]" * depth)
    return {draw(st.text(max_size=6)): draw(hostile_leaf) for _ in range(draw(st.integers(0, 50)))}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _drop(value: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1 and isinstance(value, dict):
        return {k: v for k, v in value.items() if k != path[0]}
    if len(path) <= 1:
        return value
    head = path[0]
    if isinstance(value, dict):
        return {**value, head: _drop(value[head], path[1:])}
    copy = list(value)
    copy[head] = _drop(copy[head], path[1:])
    return copy


@st.composite
def mutated_frame(draw: st.DrawFn) -> str | bytes:
    component = draw(st.sampled_from(SERVER_COMPONENTS))
    payload = draw(payloads(component, extras=True))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(payload))
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["replace", "replace", "drop", "wrap"]))
        if how == "replace":
            payload = _replace(payload, path, draw(hostile_value()))
        elif how == "drop":
            payload = _drop(payload, path)
        else:
            payload = _replace(payload, path, [payload if not path else None])
    text = json.dumps(payload)
    cut = draw(st.sampled_from(["none", "none", "none", "truncate", "splice", "bytes"]))
    if cut == "truncate" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif cut == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=4)) + text[at:]
    elif cut == "bytes":
        return text.encode() + draw(st.binary(max_size=4))
    return text


@pytest.fixture(scope="module")
def tally() -> Iterator[dict[str, int]]:
    counts: dict[str, int] = {}
    yield counts
    if LONG:
        for name, count in sorted(counts.items()):
            print(f"\nfuzz {name}: {count} inputs, 0 escapes")


def _within_budget(frame: str | bytes, started: float) -> None:
    if LONG:  # a very generous bound, only in the long run: 0.5 s + 20 µs per byte of CPU
        spent = time.process_time() - started
        assert spent <= 0.5 + 20e-6 * len(frame), f"{spent:.3f} s for {len(frame)} bytes"


@contextmanager
def _timed() -> Iterator[float]:
    """CPU time of the block only: the collector (whose pauses grow with hypothesis's own heap,
    not with this input) is held off while it runs."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield time.process_time()
    finally:
        if collecting:
            gc.enable()


def _rejection_work(frame: str | bytes) -> int:
    """The errors the validator builds to reject ``frame`` (0 when it is refused earlier)."""
    try:
        codec._validate_server(frame)
    except ValidationError as exc:
        return exc.error_count()
    except ValueError:
        return 0  # not text at all (lone surrogates): refused before any validation
    return 0


def _decode_checked(frame: str | bytes) -> None:
    with _timed() as started:
        try:
            event: ServerEventBase | None = decode_server_event(frame)
        except DecodeError:
            event = None
        _within_budget(frame, started)
    if event is None:
        # Count the rejection's work: the errors the validator built for this input.
        assert _rejection_work(frame) <= MAX_ERRORS
    else:
        assert isinstance(event, ServerEventBase)


@given(mutated_frame())
@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
def test_decode_mutated_events(tally: dict[str, int], frame: str | bytes) -> None:
    tally["decode mutated"] = tally.get("decode mutated", 0) + 1
    _decode_checked(frame)


@given(json_value | st.text(max_size=60) | st.binary(max_size=60))
@settings(max_examples=EXAMPLES)
def test_decode_arbitrary_input(tally: dict[str, int], value: Any) -> None:
    tally["decode arbitrary"] = tally.get("decode arbitrary", 0) + 1
    frame = value if isinstance(value, str | bytes) else json.dumps(value)
    _decode_checked(frame)


CREATED = json.dumps(
    {"type": "session.created", "event_id": "e0", "session": {"type": "realtime", "id": "s"}}
)
PROBE = json.dumps(
    {
        "type": "response.output_audio.delta",
        "event_id": "probe",
        "response_id": "resp_probe",
        "item_id": "item_probe",
        "output_index": 0,
        "content_index": 0,
        "delta": "AAAA",
    }
)


@given(st.lists(mutated_frame(), min_size=1, max_size=6))
@settings(max_examples=max(EXAMPLES // 3, 1), suppress_health_check=[HealthCheck.too_slow])
def test_the_core_survives_a_stream_of_mutated_events(
    tally: dict[str, int], frames: list[str | bytes]
) -> None:
    core = RealtimeProtocol()
    core.receive(CREATED)
    for frame in frames:
        tally["core mutated"] = tally.get("core mutated", 0) + 1
        with _timed() as started:
            try:
                event: ServerEventBase | None = core.receive(frame)
            except (DecodeError, RemoteProtocolError):
                event = None
            _within_budget(frame, started)
        assert event is None or isinstance(event, ServerEventBase)
    # Whatever came before, the next good event is still taken in.
    assert core.receive(PROBE).event_id == "probe"
    assert core.audio_received_ms("item_probe") >= 0
