#!/usr/bin/env python3
"""Generate ``src/realtime_kit/events/_generated.py`` from ``schema/realtime.schema.json``.

    python tools/generate_events.py           # write the module
    python tools/generate_events.py --check   # fail if the committed module is stale

Rules the output follows (the codec in ``events/_codec.py`` relies on them):

* every event is a class named after its wire ``type`` (``response.output_audio.delta`` →
  ``ResponseOutputAudioDeltaEvent``); an event type that exists in several session kinds
  (``session.created``, ``session.update``, ``error``) is one class whose differing fields are
  unions of the kinds' shapes;
* a field the schema marks optional defaults to ``None`` and stays *unset*, so an omitted field is
  omitted again on encode while an explicit ``null`` is kept;
* enums are open (``Literal[...] | str``) so that a value added by the server later still decodes;
  ``type`` constants are closed and drive discriminated unions, with an ``UnknownObject`` fallback;
* server events never require ``event_id`` (the real server omits it on DTMF events).

Only the standard library is used; the output is formatted by ``ruff format`` when available.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schema" / "realtime.schema.json"
OUTPUT_PATH = ROOT / "src" / "realtime_kit" / "events" / "_generated.py"
REF_PREFIX = "#/components/schemas/"

# Readable names for component schemas; anything else drops a leading "Realtime".
NAMES = {
    "RealtimeSessionCreateRequestGA": "RealtimeSessionConfig",
    "RealtimeSessionCreateResponseGA": "RealtimeSession",
    "RealtimeTranscriptionSessionCreateRequestGA": "TranscriptionSessionConfig",
    "RealtimeTranscriptionSessionCreateResponseGA": "TranscriptionSession",
    "RealtimeTranslationSession": "TranslationSession",
    "RealtimeTranslationSessionUpdateRequest": "TranslationSessionConfig",
    "RealtimeTranslationSessionCreateRequest": "TranslationSessionCreateConfig",
    "RealtimeResponse": "Response",
    "RealtimeResponseCreateParams": "ResponseCreateParams",
    "RealtimeConversationItem": "ConversationItem",
    "RealtimeConversationItemMessageSystem": "SystemMessageItem",
    "RealtimeConversationItemMessageUser": "UserMessageItem",
    "RealtimeConversationItemMessageAssistant": "AssistantMessageItem",
    "RealtimeConversationItemFunctionCall": "FunctionCallItem",
    "RealtimeConversationItemFunctionCallOutput": "FunctionCallOutputItem",
    "RealtimeMCPToolCall": "McpCallItem",
    "RealtimeMCPListTools": "McpListToolsItem",
    "RealtimeMCPApprovalRequest": "McpApprovalRequestItem",
    "RealtimeMCPApprovalResponse": "McpApprovalResponseItem",
    "RealtimeMCPHTTPError": "McpHttpError",
    "RealtimeMCPProtocolError": "McpProtocolError",
    "RealtimeMCPToolExecutionError": "McpToolExecutionError",
    "RealtimeFunctionTool": "FunctionTool",
    "MCPTool": "McpTool",
    "MCPToolFilter": "McpToolFilter",
    "MCPListToolsTool": "McpListToolsTool",
    "WebhookRealtimeCallIncoming": "CallIncomingWebhook",
    "RealtimeCreateClientSecretRequest": "ClientSecretCreateRequest",
    "RealtimeCreateClientSecretResponse": "ClientSecretCreateResponse",
    "RealtimeTranslationClientSecretCreateRequest": "TranslationClientSecretCreateRequest",
    "RealtimeTranslationClientSecretCreateResponse": "TranslationClientSecretCreateResponse",
    "RealtimeCallReferRequest": "CallReferRequest",
    "RealtimeCallRejectRequest": "CallRejectRequest",
    "TranscriptTextUsageTokens": "TranscriptionUsageTokens",
    "TranscriptTextUsageDuration": "TranscriptionUsageDuration",
}
# Readable names for some inline objects, keyed "Parent.property".
INLINE_NAMES = {
    "ErrorEvent.error": "ErrorDetails",
    "Response.usage": "Usage",
    "Usage.input_token_details": "InputTokenDetails",
    "InputTokenDetails.cached_tokens_details": "CachedTokensDetails",
    "Usage.output_token_details": "OutputTokenDetails",
    "Response.status_details": "ResponseStatusDetails",
    "RateLimitsUpdatedEvent.rate_limits": "RateLimit",
    "RealtimeSessionConfig.audio": "RealtimeAudioConfig",
    "RealtimeAudioConfig.input": "RealtimeAudioInputConfig",
    "RealtimeAudioConfig.output": "RealtimeAudioOutputConfig",
    "RealtimeAudioInputConfig.noise_reduction": "NoiseReduction",
    "ResponseOutputItemAddedEvent.item": "ConversationItem",
}
# Readable names for inline union members, keyed "UnionHint:type".
VARIANT_NAMES = {
    "AudioFormats:audio/pcm": "AudioFormatPcm",
    "AudioFormats:audio/pcmu": "AudioFormatPcmu",
    "AudioFormats:audio/pcma": "AudioFormatPcma",
    "TurnDetection:server_vad": "ServerVad",
    "TurnDetection:semantic_vad": "SemanticVad",
}
# Readable names for classes the other rules would name by position.
RENAMES = {
    "RealtimeSessionTracingVariant1": "TracingConfig",
    "TruncationVariant1": "RetentionRatioTruncation",
    "TruncationVariant1TokenLimits": "TruncationTokenLimits",
    "McpToolRequireApprovalVariant0": "McpToolApprovalFilter",
    "VoiceIdsOrCustomVoiceVariant2": "CustomVoice",
}
# Events whose payload is audio: (wire type, field, can be built from audio).
AUDIO_EVENTS = {
    "input_audio_buffer.append": ("audio", True),
    "session.input_audio_buffer.append": ("audio", True),
    "response.output_audio.delta": ("delta", False),
    "session.output_audio.delta": ("delta", False),
}
# Fields holding credentials: kept on the wire, hidden from repr() (and so from logs).
SECRETS = {
    "ClientSecretCreateResponse.value",
    "TranslationClientSecretCreateResponse.value",
    "McpTool.authorization",
    "McpTool.headers",
}
RESERVED = {
    "copy", "dict", "json", "schema", "construct", "validate", "fields", "model_config",
    "model_fields", "model_extra", "model_computed_fields",
}  # fmt: skip


def camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._\-\s/]+", text) if part)


def event_class_name(wire_type: str) -> str:
    return camel(wire_type) + "Event"


@dataclass
class Field:
    name: str
    annotation: str
    required: bool
    default: str | None = None  # python source of a default for required-by-schema constants
    nested: bool = False


@dataclass
class ClassDef:
    name: str
    fields: list[Field]
    bases: list[str]
    always_set: list[str] = field(default_factory=list)
    nested: list[str] = field(default_factory=list)
    wire_type: str | None = None
    audio_field: str | None = None


class Generator:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.components: dict[str, Any] = schema["schemas"]
        self.classes: dict[str, ClassDef] = {}
        self.aliases: dict[str, str] = {}
        self.alias_order: list[str] = []
        self.discriminators: dict[str, tuple[dict[str, str], str | None]] = {}
        self.shapes: dict[str, str] = {}  # structural key -> class name
        self.component_types: dict[str, str] = {}

    # -- names ---------------------------------------------------------------------------------
    def component_name(self, ref: str) -> str:
        return NAMES.get(ref, ref.removeprefix("Realtime"))

    def inline_name(self, parent: str, prop: str) -> str:
        key = f"{parent}.{prop}"
        if key in INLINE_NAMES:
            return INLINE_NAMES[key]
        base = parent.removesuffix("Event") if parent.endswith("Event") else parent
        return base + camel(prop)

    # -- types ---------------------------------------------------------------------------------
    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.components[node["$ref"][len(REF_PREFIX) :]]
        return node

    def type_of(self, node: dict[str, Any], hint: str) -> str:
        if "$ref" in node:
            ref = node["$ref"][len(REF_PREFIX) :]
            if ref not in self.component_types:
                self.component_types[ref] = "..."  # recursion guard
                target = self.components[ref]
                name = self.component_name(ref)
                if self._is_object(target):
                    # A named component keeps its own class even when another has its shape.
                    expr = self.object_class(target, name, named=True)
                else:
                    expr = self.type_of(target, name)
                if self._is_object(target) or expr == name or name in self.classes:
                    self.component_types[ref] = expr
                else:
                    self.component_types[ref] = self.alias(name, expr)
            return self.component_types[ref]
        if "anyOf" in node or "oneOf" in node:
            return self.union(node.get("anyOf") or node.get("oneOf") or [], hint)
        kind = node.get("type")
        if node.get("nullable"):
            inner = dict(node)
            inner.pop("nullable")
            return self.optional(self.type_of(inner, hint))
        if kind == "string":
            if "enum" in node:
                return self.enum(node["enum"])
            return "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "null":
            return "None"
        if kind == "array":
            return f"list[{self.type_of(node.get('items', {}), hint)}]"
        if kind == "object" or "properties" in node:
            if node.get("properties"):
                return self.object_class(node, hint)
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return f"dict[str, {self.type_of(extra, hint + 'Value')}]"
            return "dict[str, Any]"
        if "enum" in node:
            return self.enum(node["enum"])
        return "Any"

    def _is_object(self, node: dict[str, Any]) -> bool:
        return bool(node.get("properties")) and "anyOf" not in node and "oneOf" not in node

    def alias(self, name: str, expr: str) -> str:
        if name not in self.aliases:
            self.aliases[name] = expr
            self.alias_order.append(name)
        return name

    @staticmethod
    def enum(values: list[Any]) -> str:
        literal = "Literal[" + ", ".join(json.dumps(v) for v in values) + "]"
        if all(isinstance(v, str) for v in values):
            return f"{literal} | str"
        return literal

    @staticmethod
    def optional(expr: str) -> str:
        parts = split_union(expr)
        if "None" in parts:
            return expr
        return f"{expr} | None"

    def union(self, members: list[dict[str, Any]], hint: str) -> str:
        flat: list[dict[str, Any]] = []
        for member in members:
            resolved = self.resolve(member)
            if ("anyOf" in resolved or "oneOf" in resolved) and "properties" not in resolved:
                flat.extend(resolved.get("anyOf") or resolved.get("oneOf") or [])
            else:
                flat.append(member)
        nullable = any(self.resolve(m).get("type") == "null" for m in flat)
        flat = [m for m in flat if self.resolve(m).get("type") != "null"]
        objects = [m for m in flat if self._is_object(self.resolve(m))]
        if objects and len(objects) == len(flat) and len(objects) > 1:
            expr = self.discriminated(objects, hint)
        else:
            parts: list[str] = []
            for index, member in enumerate(flat):
                sub_hint = hint if len(flat) == 1 else f"{hint}Variant{index}"
                for part in split_union(self.type_of(member, sub_hint)):
                    if part not in parts:
                        parts.append(part)
            # "str | Literal[...] | str" → the open literal once.
            if "str" in parts and any(p.startswith("Literal[") for p in parts):
                parts = [p for p in parts if p != "str"] + ["str"]
            expr = " | ".join(parts) if parts else "Any"
        return self.optional(expr) if nullable else expr

    def discriminated(self, members: list[dict[str, Any]], hint: str) -> str:
        tags: dict[str, str] = {}
        notype: str | None = None
        by_type: dict[str, list[tuple[dict[str, Any], str]]] = {}
        resolved_members = []
        for index, member in enumerate(members):
            resolved = self.resolve(member)
            sub_hint = (
                self.component_name(member["$ref"][len(REF_PREFIX) :])
                if "$ref" in member
                else VARIANT_NAMES.get(
                    f"{hint}:{self._const(resolved, 'type')}",
                    hint + camel(str(self._const(resolved, "type") or index)),
                )
            )
            cls = self.type_of(member, sub_hint)
            resolved_members.append((resolved, cls))
            const = self._const(resolved, "type")
            if const is None:
                notype = cls
            else:
                by_type.setdefault(const, []).append((resolved, cls))
        for const, entries in by_type.items():
            if len(entries) == 1:
                tags[const] = entries[0][1]
            else:
                for resolved, cls in entries:
                    role = self._const(resolved, "role")
                    if role is None:
                        raise SystemExit(f"{hint}: members share type {const!r} without a role")
                    tags[f"{const}:{role}"] = cls
        classes = sorted(set(tags.values()) | ({notype} if notype else set()))
        name = f"_{hint}Union" if not hint.endswith("Union") else f"_{hint}"
        key = json.dumps([sorted(tags.items()), notype])
        for existing, (known, fallback) in self.discriminators.items():
            if json.dumps([sorted(known.items()), fallback]) == key:
                name = existing
                break
        else:
            while name in self.discriminators:
                name += "_"
            self.discriminators[name] = (tags, notype)
        members_src = ", ".join(f"Annotated[{c}, Tag({c!r})]" for c in classes)
        members_src += ', Annotated[UnknownObject, Tag("__unknown__")]'
        return f"Annotated[Union[{members_src}], Discriminator({name}_tag)]"

    @staticmethod
    def _const(node: dict[str, Any], prop: str) -> str | None:
        spec = node.get("properties", {}).get(prop)
        if not spec:
            return None
        if "const" in spec:
            return str(spec["const"])
        if isinstance(spec.get("enum"), list) and len(spec["enum"]) == 1:
            return str(spec["enum"][0])
        return None

    def object_class(self, node: dict[str, Any], hint: str, *, bases: list[str] | None = None,
                     wire_type: str | None = None, server: bool = False,
                     named: bool = False) -> str:  # fmt: skip
        key = json.dumps(node, sort_keys=True)
        if wire_type is None and not named and key in self.shapes:
            return self.shapes[key]
        name = RENAMES.get(hint, hint)
        while name in self.classes:
            name += "_"
        self.shapes.setdefault(key, name)
        cls = ClassDef(name=name, fields=[], bases=bases or ["RealtimeModel"], wire_type=wire_type)
        self.classes[name] = cls  # placeholder first: recursion-safe
        required = set(node.get("required", []))
        for prop, spec in node.get("properties", {}).items():
            resolved = self.resolve(spec)
            const = self._const(node, prop) if prop == "type" else None
            if const is not None:
                literal = f"Literal[{json.dumps(const)}]"
                if prop not in required:
                    literal += " | None"  # optional fields accept null, constants included
                cls.fields.append(Field(prop, literal, False, default=json.dumps(const)))
                cls.always_set.append(prop)
                continue
            annotation = self.type_of(spec, self.inline_name(name, prop))
            is_required = prop in required and not (server and prop == "event_id")
            if not is_required:
                annotation = self.optional(annotation)
            nested = self._may_hold_models(annotation)
            cls.fields.append(Field(prop, annotation, is_required, nested=nested))
            if nested:
                cls.nested.append(prop)
            del resolved
        return name

    def _may_hold_models(self, annotation: str) -> bool:
        unquoted = re.sub(r'"[^"]*"', "", annotation)  # literal values are not type names
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", unquoted))
        builtins = {"str", "int", "float", "bool", "None", "Any", "Literal", "list", "dict"}
        return bool(words - builtins)

    # -- events --------------------------------------------------------------------------------
    def merged_event(self, components: list[str]) -> dict[str, Any]:
        """One schema for a wire type defined in several session kinds."""
        nodes = [self.components[c] for c in components]
        if len(nodes) == 1:
            return nodes[0]
        properties: dict[str, Any] = {}
        for node in nodes:
            for prop, spec in node.get("properties", {}).items():
                if prop not in properties:
                    properties[prop] = spec
                elif properties[prop] != spec:
                    existing = properties[prop]
                    variants = existing["anyOf"] if "__merged__" in existing else [existing]
                    if spec not in variants:
                        variants = [*variants, spec]
                    properties[prop] = {"anyOf": variants, "__merged__": True}
        required = set.intersection(*(set(node.get("required", [])) for node in nodes))
        for spec in properties.values():
            spec.pop("__merged__", None)
        return {
            "type": "object",
            "properties": properties,
            "required": [p for p in properties if p in required],
        }

    def events(self, direction: str) -> list[str]:
        by_type: dict[str, list[str]] = {}
        for kind in ("realtime", "translation"):
            for component in self.schema["events"][direction][kind]:
                wire = self._const(self.components[component], "type")
                if wire is None:
                    raise SystemExit(f"{component}: event without a constant type")
                by_type.setdefault(wire, [])
                if component not in by_type[wire]:
                    by_type[wire].append(component)
        names = []
        base = "ServerEventBase" if direction == "server" else "ClientEventBase"
        for wire, components in sorted(by_type.items()):
            node = self.merged_event(components)
            name = event_class_name(wire)
            bases = [base]
            audio = AUDIO_EVENTS.get(wire)
            if audio:
                bases.append("AudioAppendMixin" if audio[1] else "AudioPayloadMixin")
            self.object_class(node, name, bases=bases, wire_type=wire,
                              server=direction == "server")  # fmt: skip
            self.classes[name].audio_field = audio[0] if audio else None
            names.append(name)
        return names

    def generate(self) -> str:
        server = self.events("server")
        client = self.events("client")
        extras = [self.type_of({"$ref": REF_PREFIX + r}, "") for r in self.schema["extra_roots"]]
        return render(self, server, client, extras)


def split_union(expr: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in expr:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


HEADER = '''\
# ======================================================================================
#  GENERATED FILE - DO NOT EDIT BY HAND.
#  Written by tools/generate_events.py from schema/realtime.schema.json.
#  To change it: edit schema/overlay.json (or refresh the schema with tools/sync_schema.py),
#  then run `python tools/generate_events.py`. CI fails when this file is stale.
# ======================================================================================
"""Typed models of every Realtime event (realtime, transcription and translation sessions)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Discriminator, Field, Tag

from realtime_kit.events._base import (
    AudioAppendMixin,
    AudioPayloadMixin,
    ClientEventBase,
    RealtimeModel,
    ServerEventBase,
    UnknownObject,
    make_tagger,
)
'''


def render(gen: Generator, server: list[str], client: list[str], extras: list[str]) -> str:
    out = [HEADER]
    for name, (tags, notype) in sorted(gen.discriminators.items()):
        out.append(f"{name}_tag = make_tagger({json.dumps(dict(sorted(tags.items())))}, "
                   f"{notype!r})")  # fmt: skip
    out.append("")
    ordered = list(gen.classes.values())
    for cls in ordered:
        out.append("")
        out.append(f"class {cls.name}({', '.join(cls.bases)}):")
        if cls.wire_type:
            out.append(f'    """The ``{cls.wire_type}`` event."""')
        else:
            out.append(f'    """The ``{cls.name}`` object."""')
        out.append("")
        if cls.always_set:
            out.append(f"    _rk_always: ClassVar[frozenset[str]] = frozenset({cls.always_set!r})")
        if cls.nested:
            out.append(f"    _rk_nested: ClassVar[tuple[str, ...]] = {tuple(cls.nested)!r}")
        if cls.audio_field:
            out.append(f"    _rk_audio_field: ClassVar[str] = {cls.audio_field!r}")
        for fld in cls.fields:
            attr = fld.name
            alias = None
            if keyword.iskeyword(attr) or attr in RESERVED:
                attr, alias = attr + "_", attr
            if f"{cls.name}.{fld.name}" in SECRETS:
                default = "" if fld.required else "default=None, "
                out.append(f"    {attr}: {fld.annotation} = Field({default}repr=False)")
                continue
            if fld.default is not None:
                value = fld.default
            elif fld.required:
                value = None
            else:
                value = "None"
            if alias:
                arg = f"default={value}, " if value is not None else ""
                out.append(f"    {attr}: {fld.annotation} = Field({arg}alias={alias!r})")
            elif value is None:
                out.append(f"    {attr}: {fld.annotation}")
            else:
                out.append(f"    {attr}: {fld.annotation} = {value}")
    out.append("")
    for name in gen.alias_order:
        out.append(f"{name} = {gen.aliases[name]}")
    out.append("")
    out.append("SERVER_EVENT_CLASSES: tuple[type[ServerEventBase], ...] = (")
    out.extend(f"    {n}," for n in server)
    out.append(")")
    out.append("CLIENT_EVENT_CLASSES: tuple[type[ClientEventBase], ...] = (")
    out.extend(f"    {n}," for n in client)
    out.append(")")
    out.append("KnownServerEvent = Union[" + ", ".join(server) + "]")
    out.append("KnownClientEvent = Union[" + ", ".join(client) + "]")
    out.append("")
    for cls in ordered:
        out.append(f"{cls.name}.model_rebuild()")
    out.append("")
    public = sorted({c.name for c in ordered} | set(gen.alias_order) | set(extras)
                    | {"SERVER_EVENT_CLASSES", "CLIENT_EVENT_CLASSES", "KnownServerEvent",
                       "KnownClientEvent"})  # fmt: skip
    out.append("__all__ = [")
    out.extend(f"    {json.dumps(n)}," for n in public if n and not n.startswith("_"))
    out.append("]")
    return "\n".join(out) + "\n"


def formatted(source: str) -> str:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        raise SystemExit("ruff is needed to format the generated module (pip install ruff)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "_generated.py"
        path.write_text(source, encoding="utf-8")
        config = ["--config", str(ROOT / "pyproject.toml")]
        subprocess.run([ruff, "check", "--fix-only", "--quiet", *config, str(path)], check=False)
        subprocess.run([ruff, "format", "--quiet", *config, str(path)], check=True)
        return path.read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the module is stale")
    args = parser.parse_args(argv)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    source = formatted(Generator(schema).generate())
    if args.check:
        current = OUTPUT_PATH.read_text(encoding="utf-8") if OUTPUT_PATH.exists() else ""
        if current != source:
            print(f"{OUTPUT_PATH.relative_to(ROOT)} is stale; run: python tools/generate_events.py",
                  file=sys.stderr)  # fmt: skip
            return 1
        print("generate_events --check: up to date")
        return 0
    OUTPUT_PATH.write_text(source, encoding="utf-8")
    print(f"wrote {OUTPUT_PATH.relative_to(ROOT)} ({len(source.splitlines()):,} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
