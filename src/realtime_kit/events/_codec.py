"""The codec: bytes from the wire → typed events, and typed events → bytes for the wire.

Decoding parses straight from bytes through one discriminated-union adapter per direction, built
once at import. An event whose ``type`` is not modelled becomes :class:`UnknownServerEvent` (or
:class:`UnknownClientEvent`) holding the whole payload; fields the schema does not know are kept
on the model and counted in a :class:`DriftReport`. Anything that is not an event raises
:class:`~realtime_kit.errors.DecodeError`, never a pydantic or JSON exception.

May import: pydantic, pydantic_core, ``realtime_kit.errors``, the generated models, ``_guard``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeAlias, TypeVar

import pydantic_core
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from realtime_kit.errors import DecodeError, EncodeError
from realtime_kit.events._base import (
    ClientEventBase,
    RealtimeModel,
    ServerEventBase,
    UnknownObject,
)
from realtime_kit.events._generated import KnownClientEvent, KnownServerEvent
from realtime_kit.events._guard import guarded_validator

__all__ = [
    "ClientEvent",
    "DriftReport",
    "EventDecoder",
    "ServerEvent",
    "UnknownClientEvent",
    "UnknownServerEvent",
    "decode_client_event",
    "decode_server_event",
    "drift_report",
    "encode_event",
    "encode_events",
]


class UnknownServerEvent(ServerEventBase):
    """A server event whose ``type`` realtime_kit does not model.

    Every field of the payload is kept; :attr:`raw` gives it back as a dict and
    :func:`encode_event` writes the same JSON again.
    """

    @property
    def raw(self) -> dict[str, Any]:
        """The whole payload as received."""
        return _raw_payload(self)


class UnknownClientEvent(ClientEventBase):
    """A client event whose ``type`` realtime_kit does not model (the fake server sees these)."""

    @property
    def raw(self) -> dict[str, Any]:
        """The whole payload as received."""
        return _raw_payload(self)


def _raw_payload(event: RealtimeModel) -> dict[str, Any]:
    dumped: dict[str, Any] = event.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return dumped


ServerEvent: TypeAlias = KnownServerEvent | UnknownServerEvent
"""Any event a server sends, in any of the three session kinds."""
ClientEvent: TypeAlias = KnownClientEvent | UnknownClientEvent
"""Any event a client sends, in any of the three session kinds."""

_U = TypeVar("_U", "UnknownServerEvent", "UnknownClientEvent")

_SERVER = TypeAdapter[KnownServerEvent](Annotated[KnownServerEvent, Field(discriminator="type")])
_CLIENT = TypeAdapter[KnownClientEvent](Annotated[KnownClientEvent, Field(discriminator="type")])
# The core validators, bound once: TypeAdapter.validate_json adds a Python layer per call that
# costs a fifth of a decode (benchmarks/bench_events.py). Guarded (``_guard``): a rejection
# stops at the first bad element of any list or dict instead of building an error for each.
_validate_server: Callable[[str | bytes | bytearray], KnownServerEvent] = guarded_validator(
    _SERVER
).validate_json
_validate_client: Callable[[str | bytes | bytearray], KnownClientEvent] = guarded_validator(
    _CLIENT
).validate_json


_K = TypeVar("_K")


class SampledCounter(Counter[_K]):
    """A :class:`~collections.Counter` that lists at most ``limit`` distinct keys.

    Every count is kept in :attr:`counted`; a key first seen once ``limit`` keys are listed is
    counted in :attr:`unlisted` instead of getting an entry, so a server that invents a new
    event type per frame costs a few integers, not a dict entry per frame.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.counted = 0
        """Everything counted, listed or not (``total()`` sums the listed keys only)."""
        self.unlisted = 0
        """Counts of keys that did not get an entry (the limit was reached)."""

    def __setitem__(self, key: _K, value: int) -> None:
        # ``counter[key] += n`` reads (0 when absent) and sets: the difference is what came in.
        added = value - self.get(key, 0)
        self.counted += added
        if key in self or len(self) < self.limit:
            super().__setitem__(key, value)
        else:
            self.unlisted += added

    def clear(self) -> None:
        super().clear()
        self.counted = 0
        self.unlisted = 0


@dataclass
class DriftReport:
    """What the server sent that the schema does not describe.

    ``unknown_events`` counts payloads by ``type``; ``unknown_fields`` counts
    ``(event type, dotted field path)`` pairs; ``unknown_variants`` counts union members with a
    tag the schema does not list, as ``(event type, dotted path, tag)``. Each lists at most
    ``max_samples`` distinct keys (the decoder is shared by every session of the process and a
    hostile server could invent a new name per frame); the totals count everything.
    """

    max_samples: int = 1000
    unknown_events: SampledCounter[str] = field(init=False)
    unknown_fields: SampledCounter[tuple[str, str]] = field(init=False)
    unknown_variants: SampledCounter[tuple[str, str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.unknown_events = SampledCounter(self.max_samples)
        self.unknown_fields = SampledCounter(self.max_samples)
        self.unknown_variants = SampledCounter(self.max_samples)

    def __bool__(self) -> bool:
        return bool(self.unknown_events or self.unknown_fields or self.unknown_variants)

    @property
    def total_unknown_events(self) -> int:
        """Payloads of an unknown ``type``, all of them."""
        return self.unknown_events.counted

    @property
    def total_unknown_fields(self) -> int:
        """Unknown fields seen, all of them."""
        return self.unknown_fields.counted

    @property
    def total_unknown_variants(self) -> int:
        """Unknown union variants seen, all of them."""
        return self.unknown_variants.counted

    @property
    def dropped_samples(self) -> int:
        """Counts that went to no listed key (``max_samples`` distinct keys were listed)."""
        counters = (self.unknown_events, self.unknown_fields, self.unknown_variants)
        return sum(counter.unlisted for counter in counters)

    def clear(self) -> None:
        """Forget everything counted so far."""
        self.unknown_events.clear()
        self.unknown_fields.clear()
        self.unknown_variants.clear()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "unknown_events": dict(sorted(self.unknown_events.items())),
            "unknown_fields": [
                {"event": event, "field": path, "count": count}
                for (event, path), count in sorted(self.unknown_fields.items())
            ],
            "unknown_variants": [
                {"event": event, "field": path, "tag": tag, "count": count}
                for (event, path, tag), count in sorted(self.unknown_variants.items())
            ],
            "dropped_samples": self.dropped_samples,
        }

    def __str__(self) -> str:
        if not self:
            return "no drift: every event and field matched the schema"
        lines = ["schema drift:"]
        lines += [f"  unknown event {t!r} x{n}" for t, n in sorted(self.unknown_events.items())]
        lines += [
            f"  unknown field {e}.{p} x{n}" for (e, p), n in sorted(self.unknown_fields.items())
        ]
        lines += [
            f"  unknown variant {e}.{p} type={t!r} x{n}"
            for (e, p, t), n in sorted(self.unknown_variants.items())
        ]
        if self.dropped_samples:
            lines.append(f"  ... and {self.dropped_samples} more not listed")
        return "\n".join(lines)


class EventDecoder:
    """Decodes events and counts schema drift.

    ``strict=False`` (the default) keeps unknown events and fields and reports them in
    :attr:`drift`; ``strict=True`` raises :class:`~realtime_kit.errors.DecodeError` for them
    instead — useful in tests that must notice when the server changes.
    """

    def __init__(self, *, strict: bool = False, drift: DriftReport | None = None) -> None:
        self.strict = strict
        self.drift = drift if drift is not None else DriftReport()

    def decode_server(self, data: str | bytes | bytearray) -> ServerEvent:
        """Decode one server event from a text frame (``str``) or its UTF-8 bytes."""
        try:
            event = _validate_server(data)
        except ValidationError as exc:
            return self._fallback(data, exc, UnknownServerEvent)
        except Exception as exc:  # the contract: DecodeError, nothing else
            raise _unexpected(exc) from exc
        if event.__pydantic_extra__ or event._rk_nested:
            self._scan(event)
        return event

    def decode_client(self, data: str | bytes | bytearray) -> ClientEvent:
        """Decode one client event (what a server receives)."""
        try:
            event = _validate_client(data)
        except ValidationError as exc:
            return self._fallback(data, exc, UnknownClientEvent)
        except Exception as exc:  # the contract: DecodeError, nothing else
            raise _unexpected(exc) from exc
        if event.__pydantic_extra__ or event._rk_nested:
            self._scan(event)
        return event

    def _fallback(
        self, data: str | bytes | bytearray, exc: ValidationError, unknown: type[_U]
    ) -> _U:
        try:
            return self._explain(data, exc, unknown)
        except DecodeError:
            raise
        except Exception as error:  # the contract: DecodeError, nothing else
            raise _unexpected(error) from error

    def _explain(
        self, data: str | bytes | bytearray, exc: ValidationError, unknown: type[_U]
    ) -> _U:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        first = errors[0]
        kind = first["type"]
        if kind == "json_invalid":
            raise DecodeError(f"not valid JSON ({first['msg']})") from None
        if kind == "string_unicode":
            raise DecodeError("not valid text (unpaired surrogates)") from None
        loc = first["loc"]
        if kind in ("union_tag_not_found", "union_tag_invalid") and len(loc) > 1:
            # A nested union (an item, a content part) whose tag is missing or not a string.
            raise DecodeError(
                "no usable 'type' tag", event_type=str(loc[0]), field=_field_path(loc[1:])
            ) from None
        if kind == "union_tag_invalid":
            payload = pydantic_core.from_json(data)
            event_type = payload.get("type")
            if not isinstance(event_type, str):
                raise DecodeError("'type' is not a string", field="type") from None
            if self.strict:
                raise DecodeError("unknown event type", event_type=event_type) from None
            try:
                event = unknown.model_validate(payload)
            except ValidationError as inner:
                detail = inner.errors(include_url=False, include_input=False)[0]
                raise DecodeError(
                    detail["msg"], event_type=event_type, field=_field_path(detail["loc"])
                ) from None
            self.drift.unknown_events[event_type] += 1
            return event
        if kind == "union_tag_not_found":
            raise DecodeError("the payload has no 'type'", field="type") from None
        if not loc:
            raise DecodeError(f"not a JSON object ({first['msg']})") from None
        raise DecodeError(
            first["msg"], event_type=str(loc[0]), field=_field_path(loc[1:])
        ) from None

    def _scan(self, event: RealtimeModel) -> None:
        event_type = str(getattr(event, "type", "?"))
        found: list[tuple[str, str | None]] = []
        _walk(event, "", found)
        for path, tag in found:
            if tag is None:
                if self.strict:
                    raise DecodeError("unknown field", event_type=event_type, field=path)
                self.drift.unknown_fields[(event_type, path)] += 1
            else:
                if self.strict:
                    raise DecodeError(f"unknown variant {tag!r}", event_type=event_type, field=path)
                self.drift.unknown_variants[(event_type, path, tag)] += 1


def _unexpected(exc: Exception) -> DecodeError:
    """The decoder's answer to an input that broke something below it (a safety net: every
    case found so far is handled where it arises)."""
    return DecodeError(f"undecodable input ({type(exc).__name__}: {str(exc)[:200]})")


def _field_path(loc: tuple[int | str, ...]) -> str | None:
    """A dotted wire path from a pydantic error location.

    Pydantic puts union-member labels (``literal['a','b']``, ``str``, a tag such as
    ``UserMessageItem``) between the field names; wire field names are lower-case identifiers,
    so only those and list indexes are kept.
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _FIELD_NAME.fullmatch(part) and part not in _TYPE_LABELS:
            path += f".{part}" if path else part
    return path or None


_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_TYPE_LABELS = frozenset({"str", "int", "float", "bool", "none", "list", "dict"})


def _walk(model: BaseModel, prefix: str, found: list[tuple[str, str | None]]) -> None:
    if isinstance(model, UnknownObject):
        found.append((prefix.rstrip("."), str(model.type)))
        return
    extra = model.__pydantic_extra__
    if extra:
        found.extend((prefix + name, None) for name in extra)
    for name in getattr(model, "_rk_nested", ()):
        _walk_value(getattr(model, name), f"{prefix}{name}", found)


def _walk_value(value: object, path: str, found: list[tuple[str, str | None]]) -> None:
    if isinstance(value, BaseModel):
        _walk(value, path + ".", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_value(item, f"{path}[{index}]", found)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk_value(item, f"{path}.{key}", found)


_DEFAULT = EventDecoder()


decode_server_event = _DEFAULT.decode_server
"""Decode one server event of any session kind; drift goes to :func:`drift_report`."""
decode_client_event = _DEFAULT.decode_client
"""Decode one client event of any session kind; drift goes to :func:`drift_report`."""


def drift_report() -> DriftReport:
    """The drift counted by the module-level decoders."""
    return _DEFAULT.drift


_EVENT_CLASSES: set[type] = set()


def encode_event(event: ServerEventBase | ClientEventBase) -> bytes:
    """Write an event as compact JSON.

    Fields that were never set are left out; a field set to ``None`` is written as ``null``.
    Unknown fields (kept from decoding, or passed as extra keyword arguments) are written too.
    """
    cls = type(event)
    if cls not in _EVENT_CLASSES:
        # isinstance on pydantic models goes through ABCMeta (about a microsecond): remember
        # the classes that passed, so an audio append pays it once, not 50 times a second.
        if not isinstance(event, (ServerEventBase, ClientEventBase)):
            raise EncodeError(f"not an event: {cls.__name__}")
        _EVENT_CLASSES.add(cls)
    fields_set = event.__pydantic_fields_set__
    if "type" not in fields_set:
        # Built by model_validate() from a dict without "type": the constant is still sent.
        fields_set.add("type")
    try:
        return event.__pydantic_serializer__.to_json(event, exclude_unset=True, by_alias=True)
    except pydantic_core.PydanticSerializationError as exc:
        raise EncodeError(f"cannot encode {event.type!r}: {exc}") from None


def encode_events(events: Iterable[ServerEventBase | ClientEventBase]) -> list[bytes]:
    """Encode several events (convenience for recordings and tests)."""
    return [encode_event(event) for event in events]
