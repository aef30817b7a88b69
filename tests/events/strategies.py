"""Hypothesis strategies that build event payloads from the committed schema.

The payloads are built from the same file the generator reads, so every event type, every
variant of every union and every optional field gets exercised without a hand-written list.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schema" / "realtime.schema.json").read_text("utf-8")
)
COMPONENTS: dict[str, Any] = SCHEMA["schemas"]
REF = "#/components/schemas/"
MAX_DEPTH = 7

json_leaf = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
EXTRA_KEY = st.sampled_from(["x_new_field", "x_future", "obscure_flag"])


def wire_type(component: str) -> str:
    prop = COMPONENTS[component]["properties"]["type"]
    return str(prop.get("const", (prop.get("enum") or [None])[0]))


def event_components(direction: str) -> dict[str, list[str]]:
    """wire type → the component schemas that define it (several for shared types)."""
    table: dict[str, list[str]] = {}
    for kind in ("realtime", "translation"):
        for component in SCHEMA["events"][direction][kind]:
            table.setdefault(wire_type(component), []).append(component)
    return table


def payloads(component: str, *, extras: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads valid for a component of the committed schema."""
    return _node(json.dumps(COMPONENTS[component], sort_keys=True), 0, extras)  # type: ignore[return-value]


_FOREIGN: dict[str, Any] = {}


def payloads_from_json_schema(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads valid for a standalone JSON Schema (``$defs`` refs), e.g. another SDK's model."""
    for name, definition in schema.get("$defs", {}).items():
        _FOREIGN["#/$defs/" + name] = definition
    body = {k: v for k, v in schema.items() if k != "$defs"}
    return _node(json.dumps(body, sort_keys=True), 0, False)  # type: ignore[return-value]


def _target(ref: str) -> dict[str, Any]:
    if ref.startswith(REF):
        return COMPONENTS[ref[len(REF) :]]  # type: ignore[no-any-return]
    return _FOREIGN[ref]  # type: ignore[no-any-return]


_TYPED = {"type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "properties", "items"}


@cache
def _node(encoded: str, depth: int, extras: bool) -> st.SearchStrategy[Any]:
    node = json.loads(encoded)
    if not set(node) & _TYPED:
        # An unconstrained schema: Python SDKs write ``object``-typed JSON members (a tool's
        # input_schema) this way, and on the wire they are JSON objects.
        return st.dictionaries(text, json_value, max_size=2)
    if "$ref" in node:
        target = _target(node["$ref"])
        return st.deferred(lambda: _node(json.dumps(target, sort_keys=True), depth + 1, extras))
    if isinstance(node.get("type"), list):
        return st.one_of(
            [
                _node(json.dumps({**node, "type": t}, sort_keys=True), depth, extras)
                for t in node["type"]
            ]
        )
    members = node.get("anyOf") or node.get("oneOf")
    if members:
        return st.one_of([_node(json.dumps(m, sort_keys=True), depth, extras) for m in members])
    kind = node.get("type")
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "const" in node:
        return st.just(node["const"])
    if kind == "string":
        return text
    if kind == "integer":
        return st.integers(-(2**31), 2**31)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-1000, 1000)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        size = 0 if depth >= MAX_DEPTH else 2
        return st.lists(
            _node(json.dumps(node.get("items", {}), sort_keys=True), depth + 1, extras),
            max_size=size,
        )
    properties = node.get("properties")
    if properties:
        required = set(node.get("required", []))
        deep = depth >= MAX_DEPTH

        def sub(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
            return _node(json.dumps(spec, sort_keys=True), depth + 1, extras)

        fixed = {name: sub(spec) for name, spec in properties.items() if name in required}
        # A discriminating ``type`` is always sent, as every real payload does.
        if "type" in properties and "type" not in fixed:
            spec = properties["type"]
            if "const" in spec or len(spec.get("enum", [])) == 1:
                fixed["type"] = sub(spec)
        optional = (
            {}
            if deep
            else {name: sub(spec) for name, spec in properties.items() if name not in fixed}
        )
        base = st.fixed_dictionaries(fixed, optional=optional)
        if not extras or deep:
            return base
        return st.tuples(base, st.dictionaries(EXTRA_KEY, json_value, max_size=1)).map(
            lambda pair: {**pair[0], **pair[1]}
        )
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and extra:
        return st.dictionaries(
            text, _node(json.dumps(extra, sort_keys=True), depth + 1, extras), max_size=2
        )
    if kind == "object":
        return st.dictionaries(text, json_value, max_size=2)
    return json_value
