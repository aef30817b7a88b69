"""Tool definitions from Python functions: names, descriptions, JSON Schema, argument parsing.

No event loop here: building a tool and parsing arguments are pure.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from realtime_kit.conversation import Tool, ToolContext, tool
from realtime_kit.errors import ConfigurationError, ToolArgumentsError

SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz"


class Unit(enum.Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = Field(description="The city.")


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


class Window(TypedDict):
    start: str
    end: str


class TreeNode(BaseModel):
    value: int
    children: list[TreeNode] = []


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


# --- the definition -----------------------------------------------------------------------------


def test_the_briefs_example_gives_the_session_definition() -> None:
    @tool
    async def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, object]:
        """Current weather for a city.

        Args:
            city: the city name, e.g. "Paris".
            unit: temperature unit.
        """
        return {"city": city}

    assert get_weather.definition == {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": 'the city name, e.g. "Paris".'},
                "unit": {
                    "type": "string",
                    "enum": ["c", "f"],
                    "default": "c",
                    "description": "temperature unit.",
                },
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    }
    assert get_weather.is_async
    json.dumps(get_weather.definition)  # the wire form is plain JSON


def test_definition_is_a_fresh_copy_each_time() -> None:
    @tool
    def ping(host: str) -> str:
        return host

    first = ping.definition
    first["parameters"]["properties"]["host"]["type"] = "integer"
    first["name"] = "changed"
    assert ping.definition["parameters"]["properties"]["host"]["type"] == "string"
    assert ping.definition["name"] == "ping"


def test_rich_types_are_inlined_without_titles_or_refs() -> None:
    def plan(  # noqa: PLR0917 - a tool with many parameters is the point
        address: Address,
        unit: Unit = Unit.CELSIUS,
        points: list[Point] | None = None,
        window: Window | None = None,
        tags: dict[str, int] | None = None,
        count: Annotated[int, Field(ge=1, le=5, description="How many.")] = 1,
        note: Annotated[str, "A free note."] = "",
        title: str = "untitled",
        pet: Annotated[Cat | Dog, Field(discriminator="kind")] | None = None,
    ) -> None:
        """Plan a trip."""

    schema = Tool.from_function(plan).parameters
    props = schema["properties"]
    assert list(props) == [
        "address",
        "unit",
        "points",
        "window",
        "tags",
        "count",
        "note",
        "title",
        "pet",
    ]
    assert props["address"]["type"] == "object"
    assert props["address"]["properties"]["city"]["description"] == "The city."
    assert props["address"]["description"] == "A postal address."
    assert props["unit"]["enum"] == ["c", "f"]
    assert props["unit"]["default"] == "c"
    point = props["points"]["anyOf"][0]["items"]
    assert point["properties"]["x"] == {"type": "number"}
    assert point["required"] == ["x"]
    assert props["window"]["anyOf"][0]["required"] == ["start", "end"]
    assert props["tags"]["anyOf"][0]["additionalProperties"] == {"type": "integer"}
    assert props["count"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
        "default": 1,
        "description": "How many.",
    }
    assert props["note"]["description"] == "A free note."
    assert props["title"] == {"type": "string", "default": "untitled"}  # a parameter named title
    assert schema["required"] == ["address"]
    for node in _walk(schema):
        assert "$ref" not in node
        assert "discriminator" not in node
        assert "title" not in node or isinstance(node["title"], dict)  # only the property
    assert "$defs" not in schema


def test_optional_scalars_become_a_type_list() -> None:
    def f(limit: int | None = None, name: str | None = None) -> None:
        """F."""

    props = Tool.from_function(f).parameters["properties"]
    assert props["limit"] == {"type": ["integer", "null"], "default": None}
    assert props["name"] == {"type": ["string", "null"], "default": None}


def test_a_recursive_type_keeps_its_own_defs() -> None:
    def f(tree: TreeNode) -> None:
        """F."""

    schema = Tool.from_function(f).parameters
    assert schema["properties"]["tree"]["type"] == "object"
    assert schema["$defs"]["TreeNode"]["properties"]["children"]["items"] == {
        "$ref": "#/$defs/TreeNode"
    }
    refs = {n["$ref"] for n in _walk(schema) if "$ref" in n}
    assert refs == {"#/$defs/TreeNode"}


def test_a_tool_without_parameters_is_an_empty_object() -> None:
    @tool
    def hang_up() -> None:
        """End the call."""

    assert hang_up.parameters == {"type": "object", "properties": {}, "additionalProperties": False}
    assert hang_up.parse_arguments("") == {}
    assert hang_up.parse_arguments("  {} ") == {}


def test_field_description_wins_over_the_docstring() -> None:
    def f(
        a: Annotated[int, Field(description="from Field")],
        b: int = Field(2, description="from default Field"),
        c: int = 3,
    ) -> None:
        """F.

        Args:
            a: from docstring a
            b: from docstring b
            c: from docstring c
        """

    props = Tool.from_function(f).parameters["properties"]
    assert props["a"]["description"] == "from Field"
    assert props["b"]["description"] == "from default Field"
    assert props["b"]["default"] == 2
    assert props["c"]["description"] == "from docstring c"


# --- names and descriptions ---------------------------------------------------------------------


def test_description_comes_from_the_docstring_or_the_argument() -> None:
    def documented(x: int) -> int:
        """Double a number.

        The model may call this for arithmetic.

        Returns:
            twice x.
        """
        return 2 * x

    def bare(x: int) -> int:
        return x

    assert Tool.from_function(documented).description == (
        "Double a number.\n\nThe model may call this for arithmetic."
    )
    assert Tool.from_function(documented, description="  Mine.  ").description == "Mine."
    assert Tool.from_function(bare).description is None
    assert "description" not in Tool.from_function(bare).definition


@pytest.mark.parametrize(
    "name",
    ["", "has space", "dots.not.allowed", "x" * 65, "émoji"],
)
def test_bad_names_are_refused(name: str) -> None:
    def f() -> None: ...

    with pytest.raises(ConfigurationError, match="tool name"):
        Tool.from_function(f, name=name)


def test_a_lambda_needs_a_name() -> None:
    with pytest.raises(ConfigurationError, match="pass name="):
        Tool.from_function(lambda: None)
    assert Tool.from_function(lambda: None, name="noop").name == "noop"


def test_name_and_policies_are_checked() -> None:
    def f() -> None: ...

    for timeout in (0, -1.0, float("nan"), float("inf"), True, "soon"):
        with pytest.raises(ConfigurationError, match="timeout"):
            Tool.from_function(f, timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="filler"):
        Tool.from_function(f, filler="  ")
    with pytest.raises(ConfigurationError, match="on_interrupt"):
        Tool.from_function(f, on_interrupt="stop")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="needs_approval"):
        Tool.from_function(f, needs_approval="yes")  # type: ignore[arg-type]
    made = Tool.from_function(f, timeout=5, filler=" One moment. ", on_interrupt="cancel")
    assert (made.timeout, made.filler, made.on_interrupt) == (5.0, "One moment.", "cancel")
    assert Tool.from_function(f, timeout=None).timeout is None
    assert Tool.from_function(f).timeout == "default"


def test_generators_are_refused() -> None:
    def gen() -> Any:
        yield 1

    async def agen() -> Any:
        yield 1

    for fn in (gen, agen):
        with pytest.raises(ConfigurationError, match="generator"):
            Tool.from_function(fn)


def test_decorated_tool_is_still_callable_and_has_a_repr() -> None:
    @tool(timeout=2, filler="Hold on.", on_interrupt="cancel", needs_approval=True)
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    assert add(2, 3) == 5
    assert repr(add) == (
        "Tool(name='add', sync, timeout=2.0, needs_approval, filler='Hold on.', "
        "on_interrupt='cancel')"
    )


# --- what can be a tool -------------------------------------------------------------------------


class Greeter:
    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def greet(self, name: str) -> str:
        """Greet someone."""
        return f"{self.greeting}, {name}"

    def __call__(self, name: str) -> str:
        return self.greet(name)


class AsyncGreeter:
    async def __call__(self, name: str) -> str:
        return name


def test_bound_methods_partials_and_callable_objects() -> None:
    greeter = Greeter("Hi")
    method = Tool.from_function(greeter.greet)
    assert method.name == "greet"
    assert method.description == "Greet someone."
    assert list(method.parameters["properties"]) == ["name"]

    obj = Tool.from_function(greeter, name="greeter")
    assert list(obj.parameters["properties"]) == ["name"]
    assert not obj.is_async
    assert Tool.from_function(AsyncGreeter(), name="ag").is_async

    def lookup(city: str, api_key: str) -> str:
        return f"{city}:{api_key}"

    bound = Tool.from_function(functools.partial(lookup, api_key=SECRET))
    assert bound.name == "lookup"
    assert list(bound.parameters["properties"]) == ["city"]
    assert SECRET not in json.dumps(bound.definition)  # the bound key never reaches the model
    values = bound.parse_arguments('{"city": "Oslo"}')
    args, kwargs = bound.bind(values, None)
    assert bound.function(*args, **kwargs) == f"Oslo:{SECRET}"


def test_a_method_decorated_in_its_class_gets_a_hint() -> None:
    with pytest.raises(ConfigurationError, match="bound method"):

        class Bad:
            @tool
            def m(self, x: int) -> int:
                return x


def test_positional_only_parameters_are_passed_by_position() -> None:
    def f(a: int, /, b: int, *, c: int = 0) -> tuple[int, int, int]:
        return a, b, c

    made = Tool.from_function(f)
    args, kwargs = made.bind(made.parse_arguments('{"a": 1, "b": 2, "c": 3}'), None)
    assert (args, kwargs) == ([1], {"b": 2, "c": 3})
    assert made.function(*args, **kwargs) == (1, 2, 3)


def test_tool_context_is_injected_not_described() -> None:
    def f(first: int, ctx: ToolContext, other: Annotated[ToolContext, "ignored"]) -> None:
        """F."""

    made = Tool.from_function(f)
    assert made.takes_context
    assert list(made.parameters["properties"]) == ["first"]
    sentinel = object()
    _, kwargs = made.bind(made.parse_arguments('{"first": 1}'), sentinel)
    assert kwargs == {"first": 1, "ctx": sentinel, "other": sentinel}


class Opaque:
    """Not something pydantic can describe."""


@dataclasses.dataclass
class Loose:
    anything: Any


def _no_annotation(x) -> None:  # type: ignore[no-untyped-def]
    ...


def _varargs(*items: int) -> None: ...


def _varkw(**items: int) -> None: ...


def _any(x: Any) -> None: ...


def _object(x: object) -> None: ...


def _callable(x: Callable[[int], int]) -> None: ...


def _opaque(x: Opaque) -> None: ...


def _loose(x: Loose) -> None: ...


def _forward(x: Undefined) -> None:  # type: ignore[name-defined]  # noqa: F821
    ...


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (_no_annotation, "parameter 'x' has no type annotation"),
        (_varargs, r"parameter '\*items'"),
        (_varkw, r"parameter '\*\*items'"),
        (_any, "parameter 'x' accepts any value"),
        (_object, "parameter 'x' accepts any value"),
        (_callable, "parameter 'x' has a type the tool schema cannot describe"),
        (_opaque, "parameter 'x' has a type the tool schema cannot describe"),
        (_loose, r"parameter 'x' \(field 'anything'\) accepts any value"),
        (_forward, "cannot resolve the parameter annotations"),
    ],
)
def test_undescribable_parameters_fail_at_construction(fn: Callable[..., Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match) as caught:
        Tool.from_function(fn)
    assert fn.__name__ in str(caught.value)  # the tool is named


def test_a_credential_default_is_refused() -> None:
    def f(city: str, key: str = SECRET) -> None: ...

    with pytest.raises(ConfigurationError, match="looks like a credential") as caught:
        Tool.from_function(f)
    assert SECRET not in str(caught.value)


# --- parsing the model's arguments --------------------------------------------------------------


def _planner() -> Tool[..., Any]:
    def plan(
        address: Address, unit: Unit = Unit.CELSIUS, points: list[Point] | None = None
    ) -> None:
        """Plan."""

    return Tool.from_function(plan)


def test_parse_builds_python_values_and_fills_defaults() -> None:
    values = _planner().parse_arguments(
        '{"address": {"street": "1 Main", "city": "Oslo"}, "points": [{"x": 1}]}'
    )
    assert values == {
        "address": Address(street="1 Main", city="Oslo"),
        "unit": Unit.CELSIUS,
        "points": [Point(1.0, 0.0)],
    }


@pytest.mark.parametrize(
    ("arguments", "problems"),
    [
        ("{bad", [""]),
        ("[1, 2]", [""]),
        ('"text"', [""]),
        ("{}", ["address"]),
        ('{"address": {"street": "x", "city": "y"}, "unit": "k"}', ["unit"]),
        ('{"address": {"street": 1, "city": "y"}, "extra": 1}', ["address.street", "extra"]),
    ],
)
def test_bad_arguments_raise_a_message_the_model_can_use(
    arguments: str, problems: list[str]
) -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        _planner().parse_arguments(arguments, call_id="call_1")
    error = caught.value
    assert [path for path, _ in error.problems] == problems
    assert (error.tool, error.call_id) == ("plan", "call_1")
    assert str(error).startswith("Invalid arguments for tool 'plan': ")
    assert str(error).endswith("Call the tool again with arguments that match its parameters.")


def test_an_unknown_argument_names_the_known_ones() -> None:
    with pytest.raises(ToolArgumentsError, match=r"the tool takes: address, unit, points"):
        _planner().parse_arguments('{"adress": {}}')


def test_argument_values_never_appear_in_the_error() -> None:
    def f(count: int, when: Literal["now", "later"]) -> None: ...

    with pytest.raises(ToolArgumentsError) as caught:
        Tool.from_function(f).parse_arguments(json.dumps({"count": SECRET, "when": SECRET}))
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value.problems)


def test_many_problems_are_capped() -> None:
    def f(  # noqa: PLR0917 - ten missing arguments is the point
        a: int, b: int, c: int, d: int, e: int, g: int, h: int, i: int, j: int, k: int
    ) -> None:
        """Ten."""

    with pytest.raises(ToolArgumentsError) as caught:
        Tool.from_function(f).parse_arguments("{}")
    assert len(caught.value.problems) == 10
    assert "and 2 more" in str(caught.value)
