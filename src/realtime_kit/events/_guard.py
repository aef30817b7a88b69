"""Validators whose cost of saying "no" does not grow with how wrong the input is.

Pydantic collects every error it finds: a 100,000-element list where a list of models belongs
builds 100,000 error records (about 0.9 s and well over 100 MB for a 0.6 MB frame), inside the
event loop's callback. The codec only ever reports the first error, so its validators are built
from the same core schema with two changes:

* every list stops at its first bad element (pydantic's ``fail_fast``);
* a dict whose values are typed (``metadata``, ``headers``) is checked value by value and stops
  at the first bad one, through a wrap validator.

Valid input validates exactly as before, into the same classes: the cost of accepting stays
what it was, and big legitimate frames (20 MB of audio) are untouched.

Building: pydantic-core reuses the validator a model class already owns when it meets that
class in a schema, which would bring the collect-everything lists back. While the guarded
validator is built, the classes are marked incomplete so that every model is built from the
guarded schema; the marks are restored at once (this happens once, at import).

May import: pydantic, pydantic_core and the standard library.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Final

from pydantic import TypeAdapter
from pydantic_core import PydanticCustomError, SchemaValidator, core_schema

__all__ = ["guarded_validator"]

_SEQUENCES: Final = frozenset({"list", "tuple", "set", "frozenset"})
# A typed-value dict this small is validated in one go (errors are bounded by its size anyway).
_DICT_AT_ONCE: Final = 64


def guarded_validator(adapter: TypeAdapter[Any]) -> SchemaValidator:
    """A validator for ``adapter``'s type that stops at the first error of any list or dict."""
    schema = copy.deepcopy(adapter.core_schema)
    models: set[type] = set()
    schema = _guard(schema, models)
    flags = {cls: cls.__dict__.get("__pydantic_complete__", False) for cls in models}
    try:
        for cls in models:
            cls.__pydantic_complete__ = False  # type: ignore[attr-defined]
        return SchemaValidator(schema)
    finally:
        for cls, flag in flags.items():
            cls.__pydantic_complete__ = flag  # type: ignore[attr-defined]


def _guard(node: Any, models: set[type]) -> Any:
    """Rewrite a core-schema tree in place (returning the node to use in its place)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            node[index] = _guard(item, models)
        return node
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    # A schema node has a string ``type``; other dicts map names to schemas (a model's fields,
    # where a field may be called "type", "metadata" or "cls").
    is_schema = isinstance(kind, str)
    for key, value in node.items():
        if isinstance(value, dict | list) and not (is_schema and key in ("metadata", "cls")):
            node[key] = _guard(value, models)
    if not is_schema:
        return node
    if kind in _SEQUENCES:
        node["fail_fast"] = True
    elif kind == "model":
        models.add(node["cls"])
    elif kind == "dict" and (node.get("values_schema") or {}).get("type", "any") != "any":
        return core_schema.no_info_wrap_validator_function(_dict_guard(), node)
    return node


def _dict_guard() -> Callable[[Any, core_schema.ValidatorFunctionWrapHandler], Any]:
    def guard(value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, dict) and len(value) > _DICT_AT_ONCE:
            for key, item in value.items():
                try:
                    handler({key: item})
                except ValueError as exc:  # pydantic's ValidationError is a ValueError
                    raise PydanticCustomError(
                        "dict_value_invalid", "invalid value for key {key}: {error}",
                        {"key": str(key)[:80], "error": str(exc).splitlines()[-1][:200]},
                    ) from None  # fmt: skip
        return handler(value)

    return guard
