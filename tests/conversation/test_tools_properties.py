"""Property tests for the tool schema and docstring readers, on generated signatures.

For any signature built from JSON-like types (with awkward parameter names such as
``model_config`` or ``json`` that collide with pydantic's own attributes), the schema is a plain
object schema listing exactly those parameters, and any arguments the schema allows parse back
to the Python values they describe.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import keyword
import string
from collections.abc import Callable
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from typing_extensions import TypedDict

from realtime_kit.conversation import Tool
from realtime_kit.conversation._docstrings import parse_docstring
from realtime_kit.errors import ToolArgumentsError


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


class Address(BaseModel):
    street: str
    city: str


class Window(TypedDict):
    start: str
    end: str


_SAFE_TEXT = st.text(alphabet=string.ascii_lowercase + string.digits + " ", max_size=12)
_FLOATS = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@dataclasses.dataclass(frozen=True)
class Kind:
    """A parameter type: its annotation and how to draw (JSON value, expected Python value)."""

    annotation: Any
    draw: Callable[[st.DrawFn, st.SearchStrategy[str]], tuple[Any, Any]]


def _same(strategy: st.SearchStrategy[Any]) -> Callable[..., tuple[Any, Any]]:
    def draw(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
        value = d(strategy)
        return value, value

    return draw


def _text(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    value = d(text)
    return value, value


def _float(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    value = d(_FLOATS)
    return value, float(value)


def _colour(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    value = d(st.sampled_from(["red", "green"]))
    return value, Colour(value)


def _point(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    x = d(_FLOATS)
    if d(st.booleans()):
        y = d(_FLOATS)
        return {"x": x, "y": y}, Point(float(x), float(y))
    return {"x": x}, Point(float(x))


def _address(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    street, city = d(text), d(text)
    return {"street": street, "city": city}, Address(street=street, city=city)


def _window(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    value = {"start": d(text), "end": d(text)}
    return value, dict(value)


def _str_list(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    value = d(st.lists(text, max_size=3))
    return value, list(value)


def _int_map(d: st.DrawFn, text: st.SearchStrategy[str]) -> tuple[Any, Any]:
    value = d(st.dictionaries(text, st.integers(-1000, 1000), max_size=3))
    return value, dict(value)


KINDS = [
    Kind(str, _text),
    Kind(int, _same(st.integers(-(10**9), 10**9))),
    Kind(float, _float),
    Kind(bool, _same(st.booleans())),
    Kind(Literal["a", "b", "c"], _same(st.sampled_from(["a", "b", "c"]))),
    Kind(Colour, _colour),
    Kind(int | None, _same(st.none() | st.integers(-5, 5))),
    Kind(list[str], _str_list),
    Kind(dict[str, int], _int_map),
    Kind(Point, _point),
    Kind(Address, _address),
    Kind(Window, _window),
]
# Names that collide with pydantic's BaseModel attributes, JSON Schema keywords or are private.
NAMES = st.sampled_from(
    [
        "city",
        "model_config",
        "json",
        "copy",
        "schema",
        "validate",
        "dict",
        "fields",
        "title",
        "type",
        "properties",
        "_private",
        "f0",
        "f1",
        "x",
    ]
) | st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n)
)


@dataclasses.dataclass
class Param:
    name: str
    kind: Kind
    default: Any  # inspect.Parameter.empty when required


@st.composite
def signatures(draw: st.DrawFn) -> list[Param]:
    names = draw(st.lists(NAMES, max_size=6, unique=True))
    params = []
    for name in names:
        kind = draw(st.sampled_from(KINDS))
        default: Any = inspect.Parameter.empty
        if draw(st.booleans()):
            default = kind.draw(draw, _SAFE_TEXT)[1]
        params.append(Param(name, kind, default))
    return params


def _function(params: list[Param]) -> Callable[..., Any]:
    def fn(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                p.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=p.kind.annotation,
                default=p.default,
            )
            for p in params
        ]
    )
    fn.__annotations__ = {p.name: p.kind.annotation for p in params}
    fn.__doc__ = "A generated tool."
    return fn


def _schema_nodes(schema: Any) -> list[dict[str, Any]]:
    """Every subschema (not the name → schema maps themselves)."""
    found: list[dict[str, Any]] = []
    if not isinstance(schema, dict):
        return found
    found.append(schema)
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            for sub in value.values():
                found.extend(_schema_nodes(sub))
        elif key in ("items", "additionalProperties"):
            found.extend(_schema_nodes(value))
        elif key == "anyOf":
            for sub in value:
                found.extend(_schema_nodes(sub))
    return found


@given(signatures())
def test_schema_lists_exactly_the_parameters(params: list[Param]) -> None:
    made = Tool.from_function(_function(params), name="generated")
    schema = made.parameters
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == [p.name for p in params]
    required = [p.name for p in params if p.default is inspect.Parameter.empty]
    assert schema.get("required", []) == required
    for node in _schema_nodes(schema):
        assert "$ref" not in node
        assert "title" not in node
    assert json.loads(json.dumps(made.definition)) == made.definition


@st.composite
def calls(draw: st.DrawFn) -> tuple[list[Param], dict[str, Any], dict[str, Any]]:
    params = draw(signatures())
    sent: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for p in params:
        if p.default is inspect.Parameter.empty or draw(st.booleans()):
            sent[p.name], expected[p.name] = p.kind.draw(draw, st.text(max_size=12))
        else:
            expected[p.name] = p.default
    return params, sent, expected


@given(calls())
def test_arguments_round_trip_to_python_values(
    case: tuple[list[Param], dict[str, Any], dict[str, Any]],
) -> None:
    params, sent, expected = case
    made = Tool.from_function(_function(params), name="generated")
    values = made.parse_arguments(json.dumps(sent))
    assert values == expected
    args, kwargs = made.bind(values, None)
    assert made.function(*args, **kwargs) == expected


@given(calls(), st.data())
def test_a_missing_required_argument_is_named(
    case: tuple[list[Param], dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    params, sent, _ = case
    required = [p.name for p in params if p.default is inspect.Parameter.empty]
    if not required:
        return
    dropped = data.draw(st.sampled_from(required))
    del sent[dropped]
    made = Tool.from_function(_function(params), name="generated")
    with pytest.raises(ToolArgumentsError) as caught:
        made.parse_arguments(json.dumps(sent))
    assert (dropped, "Field required") in caught.value.problems


# --- docstrings ---------------------------------------------------------------------------------

_IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_WORDS = st.lists(st.from_regex(r"[A-Za-z0-9.,'\"()]{1,8}", fullmatch=True), min_size=1, max_size=6)


@st.composite
def documented(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    names = draw(st.lists(_IDENT, min_size=1, max_size=4, unique=True))
    docs = {name: " ".join(draw(_WORDS)) for name in names}
    return draw(st.sampled_from(["google", "sphinx", "numpy"])), docs


def _render(style: str, summary: str, docs: dict[str, str]) -> str:
    lines = [summary, ""]
    if style == "google":
        lines.append("Args:")
        for name, text in docs.items():
            first, *rest = text.split(" ", 1)
            lines.append(f"    {name} (int): {first}")
            if rest:
                lines.append(f"        {rest[0]}")
        lines += ["", "Returns:", "    nothing."]
    elif style == "sphinx":
        for name, text in docs.items():
            lines.append(f":param {name}: {text}")
            lines.append(f":type {name}: int")
        lines.append(":returns: nothing.")
    else:
        lines += ["Parameters", "----------"]
        for name, text in docs.items():
            lines += [f"{name} : int", f"    {text}"]
        lines += ["", "Returns", "-------", "None"]
    return "\n".join(lines)


@given(documented(), _WORDS)
def test_docstring_params_are_recovered_in_every_layout(
    case: tuple[str, dict[str, str]], summary_words: list[str]
) -> None:
    style, docs = case
    summary = " ".join(summary_words)
    info = parse_docstring(_render(style, summary, docs))
    assert info.params == docs
    assert info.description == summary


@given(st.text())
def test_any_text_parses_without_raising(text: str) -> None:
    info = parse_docstring(text)
    assert info.description is None or info.description.strip() == info.description
