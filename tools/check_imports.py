#!/usr/bin/env python3
"""Check the import structure of ``src/realtime_kit``: no import cycles, and the layer rules.

    python tools/check_imports.py            # list cycles and broken rules; exit 1 if any
    python tools/check_imports.py --graph    # also print every internal import edge

Every ``import`` statement in a module counts, wherever it is: at the top, inside a function
(a deferred import is still a dependency), and under ``if TYPE_CHECKING:`` (a type-only cycle
is still a cycle: the two modules cannot be understood, moved or tested apart). An edge goes to
the module an import names: ``from realtime_kit.events import ServerEvent`` depends on the
package ``realtime_kit.events``; ``from realtime_kit.client import connection`` on the
submodule. The parent packages Python runs on the way are not edges (every submodule would
otherwise sit in a cycle with its own ``__init__``).

The rules are data (:data:`LAYERS`, :data:`RULES`), explained in ``docs/architecture.md``; the
test suite runs them (``tests/test_architecture.py``). Only the standard library is used.
"""

from __future__ import annotations

import argparse
import ast
import functools
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LAYERS",
    "RULES",
    "Import",
    "Rule",
    "Violation",
    "collect",
    "find_cycles",
    "internal_graph",
    "layer_violations",
    "main",
    "rule_violations",
]

ROOT = "realtime_kit"
SRC = Path(__file__).resolve().parent.parent / "src" / ROOT

# The layers, bottom (0) to top. A unit (a subpackage, or a module at the package root) imports
# only units of a lower layer; units of one layer are independent of each other. A new
# top-level unit gets a layer here (and a paragraph in docs/architecture.md) before it can pass.
LAYERS: Mapping[str, int] = {
    "errors": 0,
    "_settings": 1,  # credentials and endpoint: shared by rest and client
    "_sync": 1,  # cheap async primitives: shared by transports, client and the high-level objects
    "events": 1,
    "protocol": 2,
    "audio": 2,
    "cost": 2,
    "transports": 3,
    "rest": 3,
    "client": 4,
    "conversation": 5,
    "transcriber": 5,
    # The translator reuses the transcriber's audio input, VAD and caption formatting (a later
    # step moves those pieces down and puts the translator back beside the other two).
    "translator": 6,
    "telephony": 7,
    "sync": 8,
    "testing": 9,
    "cli": 10,
    "": 11,  # the package root: re-exports only
}

# Libraries that do I/O or need an event loop; the sans-I/O layers import none of them.
IO_LIBRARIES = (
    "anyio",
    "asyncio",
    "trio",
    "sniffio",
    "socket",
    "ssl",
    "select",
    "selectors",
    "websockets",
    "httpx",
    "aiortc",
    "aioice",
    "av",
    "sounddevice",
    "starlette",
    "uvicorn",
)
CONCRETE_TRANSPORTS = (
    "realtime_kit.transports.websocket",
    "realtime_kit.transports.webrtc",
    "realtime_kit.transports._ws_asyncio",
    "realtime_kit.transports._ws_stream",
    "realtime_kit.transports._webrtc_media",
    "realtime_kit.transports._webrtc_sdp",
    "realtime_kit.transports._net",
)
HIGH_LEVEL = (
    "realtime_kit.conversation",
    "realtime_kit.transcriber",
    "realtime_kit.translator",
    "realtime_kit.telephony",
)
WEBRTC_TRANSPORT = (
    "realtime_kit.transports.webrtc",
    "realtime_kit.transports._webrtc_media",
    "realtime_kit.transports._webrtc_sdp",
)
WEBRTC_ANSWERER = (
    "realtime_kit.testing.webrtc",
    "realtime_kit.testing._webrtc",
    "realtime_kit.testing._webrtc_wire",
)


@dataclass(frozen=True, slots=True)
class Import:
    """One imported module (or name of a package) in one module."""

    importer: str
    target: str  # the module the import names, resolved to a module of ours when it is one
    names: tuple[str, ...]  # the names taken from ``target`` (``from x import a, b``)
    line: int
    type_only: bool
    deferred: bool  # inside a function (run when called, not when the module loads)

    def where(self) -> str:
        how = " (TYPE_CHECKING)" if self.type_only else " (deferred)" if self.deferred else ""
        return f"{self.importer}:{self.line} imports {self.target}{how}"


@dataclass(frozen=True, slots=True)
class Rule:
    """Modules under ``importers`` (but not under ``exempt``) must not import ``forbidden``.

    Names are dotted prefixes: ``realtime_kit.protocol`` covers the package and its modules;
    a trailing ``*`` matches any continuation (``realtime_kit.client._*``: its private modules).
    ``names`` narrows a rule to some names taken from a package (``WebSocketTransport`` from
    ``realtime_kit.transports``). An ``importers`` of ``("realtime_kit",)`` means everyone.
    """

    name: str
    why: str
    importers: tuple[str, ...]
    forbidden: tuple[str, ...]
    exempt: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def broken_by(self, imp: Import) -> bool:
        if not _under(imp.importer, self.importers) or _under(imp.importer, self.exempt):
            return False
        if self.names:
            return _under(imp.target, self.forbidden) and bool(set(imp.names) & set(self.names))
        return _under(imp.target, self.forbidden)


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    why: str
    imp: Import

    def __str__(self) -> str:
        return f"{self.imp.where()}: {self.rule} ({self.why})"


RULES: tuple[Rule, ...] = (
    Rule(
        "the sans-I/O layers import no I/O library",
        "events, protocol and cost are fed data and return data; their tests need no loop",
        importers=("realtime_kit.events", "realtime_kit.protocol", "realtime_kit.cost"),
        forbidden=IO_LIBRARIES,
    ),
    Rule(
        "transports know nothing of events or sessions",
        "a transport moves text frames (and media); the client layer gives them meaning",
        importers=("realtime_kit.transports",),
        forbidden=("realtime_kit.events", "realtime_kit.protocol", "realtime_kit.cost"),
    ),
    Rule(
        "nothing in the library imports testing/",
        "the test kit is built on the library, never under it (the CLI runs the fake server)",
        importers=(ROOT,),
        forbidden=("realtime_kit.testing",),
        exempt=("realtime_kit.testing", "realtime_kit.cli"),
    ),
    Rule(
        "the high-level objects never name a concrete transport",
        "connect() picks the transport from arguments; a Conversation runs on any of them",
        importers=HIGH_LEVEL,
        forbidden=CONCRETE_TRANSPORTS,
    ),
    Rule(
        "the high-level objects never name a concrete transport",
        "connect() picks the transport from arguments; a Conversation runs on any of them",
        importers=HIGH_LEVEL,
        forbidden=("realtime_kit.transports",),
        names=("WebSocketTransport", "WebRTCTransport"),
    ),
    Rule(
        "the client layer's private helpers stay inside it",
        "other layers use realtime_kit.client's public surface",
        importers=(ROOT,),
        forbidden=("realtime_kit.client._*",),
        exempt=("realtime_kit.client",),
    ),
    Rule(
        "asyncio is imported only where the asyncio backend is the point",
        "everything else runs on asyncio and trio through anyio: the WebRTC transport and the"
        " fake answerer (aiortc is asyncio-only), the asyncio WebSocket driver (chosen only on"
        " asyncio), the sync primitives' and the task host's asyncio fast paths",
        importers=(ROOT,),
        forbidden=("asyncio",),
        exempt=(
            *WEBRTC_TRANSPORT,
            *WEBRTC_ANSWERER,
            "realtime_kit.transports._ws_asyncio",
            "realtime_kit._sync",
            "realtime_kit.client._tasks",
        ),
    ),
    Rule(
        "nothing imports trio or sniffio",
        "anyio is the one way to the running backend",
        importers=(ROOT,),
        forbidden=("trio", "sniffio"),
    ),
    Rule(
        "aiortc and av are imported only by the WebRTC transport and the fake answerer",
        "the webrtc extra stays optional for everyone else",
        importers=(ROOT,),
        forbidden=("aiortc", "aioice", "av"),
        exempt=(*WEBRTC_TRANSPORT, *WEBRTC_ANSWERER),
    ),
    Rule(
        "websockets is imported only by the WebSocket transport (and the test kit)",
        "one place translates its exceptions into realtime_kit.errors",
        importers=(ROOT,),
        forbidden=("websockets",),
        exempt=("realtime_kit.transports", "realtime_kit.testing"),
    ),
    Rule(
        "httpx is imported only by rest (and the test kit)",
        "one place translates its exceptions into realtime_kit.errors",
        importers=(ROOT,),
        forbidden=("httpx",),
        exempt=("realtime_kit.rest", "realtime_kit.testing"),
    ),
    Rule(
        "the testing extra's libraries are imported only by testing/",
        "starlette, uvicorn, webrtcvad, pocketsphinx and espeak are the fake server's",
        importers=(ROOT,),
        forbidden=("starlette", "uvicorn", "webrtcvad", "pocketsphinx", "espeakng_loader"),
        exempt=("realtime_kit.testing",),
    ),
    Rule(
        "rich is imported only by cli/",
        "the cli extra stays optional for the library",
        importers=(ROOT,),
        forbidden=("rich",),
        exempt=("realtime_kit.cli",),
    ),
    Rule(
        "sounddevice is imported only by audio/devices",
        "the audio extra stays optional",
        importers=(ROOT,),
        forbidden=("sounddevice",),
        exempt=("realtime_kit.audio.devices",),
    ),
)


def _under(name: str, prefixes: Iterable[str]) -> bool:
    """Whether ``name`` is one of ``prefixes`` or inside one (``a.b._*``: any ``a.b._x``)."""
    return any(
        name.startswith(p[:-1]) if p.endswith("*") else name == p or name.startswith(p + ".")
        for p in prefixes
    )


def _module_names(src: Path) -> dict[str, Path]:
    root = src.name
    found: dict[str, Path] = {}
    for path in sorted(src.rglob("*.py")):
        parts = [root, *path.relative_to(src).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(
    body: list[ast.stmt], type_only: bool, deferred: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only, deferred
        elif isinstance(node, ast.If):
            guarded = type_only or _is_type_checking(node.test)
            yield from _statements(node.body, guarded, deferred)
            yield from _statements(node.orelse, type_only, deferred)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _statements(getattr(node, "body", []), type_only, True)
        elif isinstance(node, ast.ClassDef):
            yield from _statements(node.body, type_only, deferred)
        else:
            # try/with/for/while/match bodies, however deeply nested
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    stmts: list[ast.stmt] = []
                    for child in inner:
                        if isinstance(child, ast.ExceptHandler | ast.match_case):
                            stmts.extend(child.body)
                        elif isinstance(child, ast.stmt):
                            stmts.append(child)
                    yield from _statements(stmts, type_only, deferred)


def _resolve(name: str, modules: Mapping[str, Path]) -> str:
    """The deepest module of ours that ``name`` is in (or ``name`` itself when foreign)."""
    probe = name
    while probe:
        if probe in modules:
            return probe
        probe = probe.rpartition(".")[0]
    return name


@functools.lru_cache(maxsize=1024)
def _parse_text(text: str) -> ast.Module:
    return ast.parse(text)


def _parse(text: str, filename: str) -> ast.Module:
    """``text``'s syntax tree (the same text is parsed once per run: the tests check copies)."""
    try:
        return _parse_text(text)
    except SyntaxError:
        return ast.parse(text, filename=filename)  # raises again, naming the file


def collect(src: Path = SRC) -> dict[str, list[Import]]:
    """Every module under ``src`` (a package folder) with the imports it makes."""
    modules = _module_names(src)
    result: dict[str, list[Import]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = _parse(path.read_text(encoding="utf-8"), str(path))
        found: list[Import] = []
        for node, type_only, deferred in _statements(tree.body, False, False):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _resolve(alias.name, modules)
                    found.append(Import(name, target, (), node.lineno, type_only, deferred))
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            plain: list[str] = []
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    found.append(Import(name, submodule, (), node.lineno, type_only, deferred))
                else:
                    plain.append(alias.name)
            if plain:
                target = _resolve(source, modules)
                found.append(Import(name, target, tuple(plain), node.lineno, type_only, deferred))
        result[name] = found
    return result


def internal_graph(imports: Mapping[str, list[Import]]) -> dict[str, dict[str, Import]]:
    """module → {module of ours it imports → the first import that does}."""
    graph: dict[str, dict[str, Import]] = {}
    for name, found in imports.items():
        edges: dict[str, Import] = {}
        for imp in found:
            if imp.target in imports and imp.target != name:
                edges.setdefault(imp.target, imp)
        graph[name] = edges
    return graph


def find_cycles(graph: Mapping[str, Mapping[str, Import]]) -> list[list[Import]]:
    """One cycle per strongly connected group of modules, as the imports that close it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan, iterative (no recursion limit to trip over)
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return [_one_cycle(graph, set(group), group[0]) for group in sorted(groups)]


def _one_cycle(
    graph: Mapping[str, Mapping[str, Import]], group: set[str], start: str
) -> list[Import]:
    """The shortest way from ``start`` back to itself inside ``group`` (breadth first)."""
    previous: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child, imp in sorted(graph[node].items()):
                if child not in group or child in previous:
                    continue
                previous[child] = imp
                if child == start:
                    path = [imp]
                    while path[0].importer != start:
                        path.insert(0, previous[path[0].importer])
                    return path
                following.append(child)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")  # a group of two or more always has one


def unit_of(module: str) -> str:
    """The top-level unit a module belongs to: ``client`` for ``realtime_kit.client._leg``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_violations(imports: Mapping[str, list[Import]]) -> list[Violation]:
    """Imports that go sideways or up between layers, and units with no layer."""
    found: list[Violation] = []
    for name, module_imports in sorted(imports.items()):
        unit = unit_of(name)
        for imp in module_imports:
            if imp.target not in imports:
                continue  # foreign
            other = unit_of(imp.target)
            if other == unit or (imp.target == ROOT and set(imp.names) <= {"__version__"}):
                continue  # the version is a constant, not a layer
            if unit not in LAYERS or other not in LAYERS:
                missing = unit if unit not in LAYERS else other
                found.append(
                    Violation(
                        f"{ROOT}.{missing} has no layer",
                        "give it one in tools/check_imports.py LAYERS and docs/architecture.md",
                        imp,
                    )
                )
            elif LAYERS[other] >= LAYERS[unit]:
                how = "the same layer as" if LAYERS[other] == LAYERS[unit] else "a layer above"
                found.append(
                    Violation(
                        f"{unit or ROOT} (layer {LAYERS[unit]}) imports {how} itself",
                        f"{other} is layer {LAYERS[other]}; a layer imports only from below",
                        imp,
                    )
                )
    return found


def rule_violations(
    imports: Mapping[str, list[Import]], rules: Iterable[Rule] = RULES
) -> list[Violation]:
    """Imports that break one of ``rules``."""
    return [
        Violation(rule.name, rule.why, imp)
        for name in sorted(imports)
        for imp in imports[name]
        for rule in rules
        if rule.broken_by(imp)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--src", type=Path, default=SRC, help="the package folder to check")
    parser.add_argument("--graph", action="store_true", help="print every internal import")
    args = parser.parse_args(argv)
    if not (args.src / "__init__.py").is_file():
        print(f"check_imports: {args.src} is not a package folder", file=sys.stderr)
        return 2
    imports = collect(args.src)
    graph = internal_graph(imports)
    if args.graph:
        for name in sorted(graph):
            for target, imp in sorted(graph[name].items()):
                print(f"{name} -> {target}  (line {imp.line})")
    cycles = find_cycles(graph)
    broken = layer_violations(imports) + rule_violations(imports)
    for cycle in cycles:
        print("import cycle: " + " -> ".join([cycle[0].importer, *(i.target for i in cycle)]))
        for imp in cycle:
            print(f"    {imp.where()}")
    for violation in broken:
        print(violation)
    modules = len(imports)
    print(f"{modules} modules: {len(cycles)} import cycles, {len(broken)} broken rules")
    return 1 if cycles or broken else 0


if __name__ == "__main__":
    sys.exit(main())
