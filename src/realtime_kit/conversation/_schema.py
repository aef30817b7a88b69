"""From a Python signature to a tool's JSON Schema, and from the model's arguments back to values.

:func:`build_function_schema` reads the parameters' type hints (plain types, ``Literal``, ``Enum``,
``Optional``/unions, lists, dicts, pydantic models, dataclasses, ``TypedDict``, ``Annotated``
with ``pydantic.Field`` or a plain description string) and the docstring, builds a pydantic
model of the arguments once, and derives the ``parameters`` schema the Realtime API takes:

* an object schema with ``additionalProperties: false`` (unknown arguments are refused, so the
  model learns the right shape instead of having extra keys silently dropped);
* ``$ref``/``$defs`` inlined: the Realtime function tool has no strict mode and no documented
  ``$ref`` support, so every reference is expanded in place — except a recursive type, which
  cannot be inlined and keeps its own ``$defs`` entry;
* no ``title`` keywords (pydantic adds one per field: tokens the model pays for, no meaning);
* per-parameter descriptions from ``Field(description=...)`` first, then the docstring.

A parameter annotated :class:`ToolContext` is injected at call time and is not in the schema.
Parameters bound by ``functools.partial`` keywords are not in the schema either (they may be
credentials). What cannot be described — no annotation, ``*args``/``**kwargs``, ``Any`` or
``object``, a callable, an arbitrary class — is a :class:`ConfigurationError` naming the tool
and the parameter, raised when the tool is built.

Imports: pydantic, the standard library, ``realtime_kit.errors``, this package's ``_calls`` and
``_docstrings``.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.errors import PydanticUserError
from pydantic.fields import FieldInfo
from pydantic.json_schema import PydanticJsonSchemaWarning
from pydantic_core import PydanticSerializationError

from realtime_kit.conversation._calls import ToolContext, looks_like_credential
from realtime_kit.conversation._docstrings import parse_docstring
from realtime_kit.errors import ConfigurationError, ToolArgumentsError

__all__ = ["FunctionSchema", "build_function_schema"]

_MAX_PROBLEMS = 8
_REF_PREFIX = "#/$defs/"
# Keywords whose value is one subschema, a list of subschemas, or a name → subschema mapping.
_ONE_SCHEMA = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_SCHEMA_LIST = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SCHEMA_MAP = frozenset({"properties", "patternProperties", "$defs", "definitions"})
# Keywords that say something about the *type* of a value; a schema with none accepts anything.
_TYPING_KEYWORDS = frozenset(
    {"type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "properties", "items", "not"}
)


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    kind: inspect._ParameterKind
    field: str | None  # the field in the arguments model; None for the ToolContext parameter


class FunctionSchema:
    """A tool function's arguments: the JSON Schema, the docstring description, the parser."""

    __slots__ = ("_model", "_names", "_params", "description", "parameters", "tool")

    def __init__(
        self,
        tool: str,
        model: type[BaseModel],
        params: tuple[_Param, ...],
        parameters: dict[str, Any],
        description: str | None,
    ) -> None:
        self.tool = tool
        self._model = model
        self._params = params
        self._names = tuple(p.name for p in params if p.field is not None)
        self.parameters = parameters
        self.description = description

    @property
    def takes_context(self) -> bool:
        """Whether the function declares a ``ToolContext`` parameter."""
        return any(p.field is None for p in self._params)

    def parse(self, arguments: str, *, call_id: str | None = None) -> dict[str, Any]:
        """The validated Python values of the model's ``arguments`` (a JSON object string),
        keyed by parameter name, defaults filled in.

        An empty string counts as ``{}`` (models send it for tools without parameters).
        Raises :class:`ToolArgumentsError` with a message the model can act on.
        """
        text = arguments if arguments.strip() else "{}"
        try:
            parsed = self._model.model_validate_json(text)
        except ValidationError as exc:
            problems = tuple(self._problem(error) for error in exc.errors(include_url=False))
            raise ToolArgumentsError(
                self._message(problems), tool=self.tool, problems=problems, call_id=call_id
            ) from exc
        values = parsed.__dict__
        return {p.name: values[p.field] for p in self._params if p.field is not None}

    def bind(
        self, values: Mapping[str, Any], context: ToolContext
    ) -> tuple[list[Any], dict[str, Any]]:
        """``(args, kwargs)`` to call the function with: positional-only parameters by
        position, the rest by keyword, the context wherever it was declared."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in self._params:
            value = context if p.field is None else values[p.name]
            if p.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[p.name] = value
        return args, kwargs

    def _problem(self, error: Any) -> tuple[str, str]:
        path = ".".join(str(part) for part in error["loc"])
        kind = error["type"]
        if kind == "json_invalid":
            return "", f"the arguments are not valid JSON ({error['msg']})"
        if kind == "model_type" and not path:
            return "", "the arguments must be a JSON object"
        if kind == "extra_forbidden":
            known = ", ".join(self._names) or "no arguments"
            return path, f"unknown argument (the tool takes: {known})"
        return path, str(error["msg"])

    def _message(self, problems: tuple[tuple[str, str], ...]) -> str:
        shown = [f"{path}: {text}" if path else text for path, text in problems[:_MAX_PROBLEMS]]
        if len(problems) > _MAX_PROBLEMS:
            shown.append(f"and {len(problems) - _MAX_PROBLEMS} more")
        return (
            f"Invalid arguments for tool {self.tool!r}: {'; '.join(shown)}. "
            "Call the tool again with arguments that match its parameters."
        )


def build_function_schema(fn: Callable[..., Any], tool: str) -> FunctionSchema:
    """Build the schema of ``fn``'s parameters for the tool named ``tool``.

    Raises :class:`ConfigurationError` (naming ``tool`` and the parameter) for anything the
    schema cannot describe.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"tool {tool!r}: cannot read the signature of {fn!r}") from exc
    hints = _type_hints(fn, tool)
    bound = _partial_keywords(fn)
    doc = parse_docstring(inspect.getdoc(_unwrap(fn)))

    params: list[_Param] = []
    fields: dict[str, Any] = {}
    annotations: dict[str, Any] = {}
    for p in signature.parameters.values():
        if p.name in bound:
            continue
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            star = "*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise ConfigurationError(
                f"tool {tool!r}: parameter '{star}{p.name}' cannot be described to the model; "
                "give the tool named, annotated parameters"
            )
        annotation = hints.get(p.name, inspect.Parameter.empty)
        if annotation is inspect.Parameter.empty:
            hint = (
                "; to use a method, pass the bound method (Tool.from_function(obj.method))"
                if p.name in ("self", "cls")
                else f"; the model needs one to know what to send (e.g. '{p.name}: str')"
            )
            raise ConfigurationError(
                f"tool {tool!r}: parameter {p.name!r} has no type annotation{hint}"
            )
        if _is_context(annotation):
            params.append(_Param(p.name, p.kind, None))
            continue
        field_name = f"f{len(fields)}"
        annotation, note = _split_description(annotation)
        fields[field_name] = (annotation, _field_info(p, note))
        annotations[p.name] = annotation
        params.append(_Param(p.name, p.kind, field_name))

    model = _arguments_model(tool, fields, annotations)
    parameters = _json_schema(tool, model, annotations)
    properties: dict[str, Any] = parameters["properties"]
    for name, text in doc.params.items():
        prop = properties.get(name)
        if isinstance(prop, dict) and "description" not in prop:
            prop["description"] = text
    _check_typed(tool, properties)
    _check_no_secrets(tool, parameters)
    return FunctionSchema(tool, model, tuple(params), parameters, doc.description)


def _unwrap(fn: Callable[..., Any]) -> Any:
    """The function whose annotations and docstring describe ``fn``."""
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isfunction(target) or inspect.ismethod(target)) and callable(target):
        call = getattr(type(target), "__call__", None)  # noqa: B004 - the class's own __call__
        if inspect.isfunction(call):
            return call
    return target


def _partial_keywords(fn: Callable[..., Any]) -> set[str]:
    names: set[str] = set()
    target: Any = fn
    while isinstance(target, functools.partial):
        names.update(target.keywords)
        target = target.func
    return names


def _type_hints(fn: Callable[..., Any], tool: str) -> dict[str, Any]:
    target = _unwrap(fn)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except (NameError, TypeError, AttributeError, SyntaxError) as exc:
        raise ConfigurationError(
            f"tool {tool!r}: cannot resolve the parameter annotations ({exc}); define the types "
            "they name at module level"
        ) from exc


def _is_context(annotation: Any) -> bool:
    if typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation is ToolContext


def _split_description(annotation: Any) -> tuple[Any, str | None]:
    """``Annotated[T, "text", ...]``: pydantic ignores bare strings, so take them as the
    description and hand pydantic the rest."""
    if typing.get_origin(annotation) is not Annotated:
        return annotation, None
    base, *meta = typing.get_args(annotation)
    texts = [m for m in meta if isinstance(m, str)]
    if not texts:
        return annotation, None
    rest = [m for m in meta if not isinstance(m, str)]
    rebuilt = Annotated[(base, *rest)] if rest else base
    return rebuilt, " ".join(t.strip() for t in texts)


def _field_info(p: inspect.Parameter, description: str | None) -> FieldInfo:
    # Only what is set counts when pydantic merges this with Field(...) inside Annotated[...].
    own: FieldInfo = (
        Field(alias=p.name) if description is None else Field(alias=p.name, description=description)
    )
    if isinstance(p.default, FieldInfo):
        return FieldInfo.merge_field_infos(p.default, own, alias=p.name)
    if p.default is inspect.Parameter.empty:
        return own
    with_default: FieldInfo = Field(default=p.default, alias=p.name)
    return FieldInfo.merge_field_infos(own, with_default)


def _arguments_model(
    tool: str, fields: dict[str, Any], annotations: dict[str, Any]
) -> type[BaseModel]:
    config = ConfigDict(extra="forbid", populate_by_name=False)
    try:
        return create_model("Arguments", __config__=config, **fields)
    except (PydanticUserError, TypeError, ValueError) as exc:
        raise _unsupported(tool, annotations, exc) from exc


def _json_schema(tool: str, model: type[BaseModel], annotations: dict[str, Any]) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            # A default that is not JSON-encodable is left out of the schema (it still applies).
            warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
            raw = model.model_json_schema(by_alias=True, mode="validation")
    except (PydanticUserError, PydanticSerializationError, TypeError, ValueError) as exc:
        raise _unsupported(tool, annotations, exc) from exc
    schema = _inline_refs(raw)
    # The usual reading order: type, properties, required, additionalProperties, the rest.
    ordered: dict[str, Any] = {"type": "object", "properties": schema.pop("properties", {})}
    for key in ("required", "additionalProperties"):
        if key in schema:
            ordered[key] = schema.pop(key)
    schema.pop("type", None)
    ordered.update(schema)
    return ordered


def _unsupported(tool: str, annotations: dict[str, Any], exc: Exception) -> ConfigurationError:
    """Name the first parameter whose type alone cannot be described."""
    from pydantic import TypeAdapter

    for name, annotation in annotations.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
                TypeAdapter(annotation).json_schema()
        except (PydanticUserError, PydanticSerializationError, TypeError, ValueError) as inner:
            return ConfigurationError(
                f"tool {tool!r}: parameter {name!r} has a type the tool schema cannot describe "
                f"({_type_name(annotation)}: {_first_line(inner)}); use JSON-like types: str, "
                "int, float, bool, Literal, Enum, lists, dicts, pydantic models, dataclasses "
                "or TypedDicts"
            )
    return ConfigurationError(f"tool {tool!r}: cannot build the arguments schema ({exc})")


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__qualname__", None) or repr(annotation)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Expand every ``#/$defs/...`` reference in place, drop ``title`` keywords and OpenAPI
    ``discriminator`` hints; recursive definitions stay in ``$defs``."""
    defs: dict[str, Any] = schema.pop("$defs", {})
    kept: set[str] = set()

    def expand(node: Any, stack: frozenset[str]) -> Any:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX) and ref[len(_REF_PREFIX) :] in defs:
            name = ref[len(_REF_PREFIX) :]
            siblings = expand_keywords({k: v for k, v in node.items() if k != "$ref"}, stack)
            if name in stack:
                kept.add(name)
                return {"$ref": ref, **siblings}
            return {**expand(defs[name], stack | {name}), **siblings}
        return expand_keywords(node, stack)

    def expand_keywords(node: dict[str, Any], stack: frozenset[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("title", "discriminator"):
                continue
            if key in _ONE_SCHEMA:
                out[key] = expand(value, stack)
            elif key in _SCHEMA_LIST and isinstance(value, list):
                out[key] = [expand(v, stack) for v in value]
            elif key in _SCHEMA_MAP and isinstance(value, dict):
                out[key] = {k: expand(v, stack) for k, v in value.items()}
            else:
                out[key] = value
        return _simplify_nullable(out)

    result: dict[str, Any] = expand(schema, frozenset())
    kept_defs: dict[str, Any] = {}
    while kept - kept_defs.keys():
        for name in sorted(kept - kept_defs.keys()):
            kept_defs[name] = expand(defs[name], frozenset({name}))
    if kept_defs:
        result["$defs"] = kept_defs
    return result


def _simplify_nullable(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [{"type": T}, {"type": "null"}]`` → ``type: [T, "null"]`` (fewer tokens, same
    meaning); anything richer than a bare type stays an ``anyOf``."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or "type" in node:
        return node
    bare = [o for o in options if isinstance(o, dict) and set(o) == {"type"}]
    if len(bare) != 2 or not all(isinstance(o["type"], str) for o in bare):
        return node
    types = [o["type"] for o in bare]
    if "null" not in types or types[0] == types[1]:
        return node
    out = {k: v for k, v in node.items() if k != "anyOf"}
    return {"type": types, **out}


def _check_typed(
    tool: str, properties: dict[str, Any], top: str | None = None, dotted: str = ""
) -> None:
    for name, prop in properties.items():
        param = top or name
        field = f"{dotted}.{name}" if dotted else (name if top else "")
        where = f"parameter {param!r}" + (f" (field {field!r})" if field else "")
        if not isinstance(prop, dict) or not (_TYPING_KEYWORDS & prop.keys()):
            raise ConfigurationError(
                f"tool {tool!r}: {where} accepts any value (Any/object); give it a concrete type "
                "so the model knows what to send"
            )
        for nested in (prop.get("properties"), _get(prop.get("items"), "properties")):
            if isinstance(nested, dict):
                _check_typed(tool, nested, param, field)


def _get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, dict) else None


def _defaults(node: Any) -> list[Any]:
    """Every ``default`` value in a schema (the only user data a schema carries)."""
    found: list[Any] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "default":
                found.append(value)
            elif key in _ONE_SCHEMA:
                found.extend(_defaults(value))
            elif key in _SCHEMA_LIST and isinstance(value, list):
                for item in value:
                    found.extend(_defaults(item))
            elif key in _SCHEMA_MAP and isinstance(value, dict):
                for item in value.values():
                    found.extend(_defaults(item))
    return found


def _check_no_secrets(tool: str, parameters: dict[str, Any]) -> None:
    text = json.dumps(_defaults(parameters), ensure_ascii=False, default=str)
    if looks_like_credential(text):
        raise ConfigurationError(
            f"tool {tool!r}: a parameter's default value looks like a credential; it would be "
            "sent to the model. Bind secrets with functools.partial(fn, key=...) (bound keywords "
            "stay out of the schema) or read them inside the tool"
        )
