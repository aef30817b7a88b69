"""The import structure of ``src/realtime_kit``: no import cycles, and the layers of
``docs/architecture.md`` (the rules live in ``tools/check_imports.py``, which these tests load).

The first checks run over the real source tree; the others copy it into ``tmp_path`` and add one
deliberately wrong import, to prove that each kind of breach is caught.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "realtime_kit"


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_imports", ROOT / "tools" / "check_imports.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


check = _load_checker()


def test_the_source_has_no_import_cycles() -> None:
    cycles = check.find_cycles(check.internal_graph(check.collect(SRC)))
    assert [" -> ".join([c[0].importer, *(i.target for i in c)]) for c in cycles] == []


def test_the_source_keeps_its_layers() -> None:
    imports = check.collect(SRC)
    broken = check.layer_violations(imports) + check.rule_violations(imports)
    assert [str(v) for v in broken] == []


def test_every_top_level_unit_has_a_layer() -> None:
    units = {check.unit_of(name) for name in check.collect(SRC)}
    assert units - set(check.LAYERS) == set()


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    """A copy of the real ``realtime_kit`` in ``tmp_path`` with ``files`` added (or appended to)."""
    src = tmp_path / "realtime_kit"
    shutil.copytree(SRC, src, ignore=shutil.ignore_patterns("__pycache__", "*.toml", "*.json"))
    for rel, text in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_text() if path.exists() else ""
        path.write_text(old + "\n" + text)
    return src


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # a lower layer imports a higher one
            {"protocol/core.py": "from realtime_kit.client import connect\n"},
            "protocol (layer 2) imports a layer above itself",
        ),
        (  # a sans-I/O layer imports an I/O library
            {"protocol/core.py": "import anyio\n"},
            "the sans-I/O layers import no I/O library",
        ),
        (  # a transport knows events
            {"transports/base.py": "from realtime_kit.events import ServerEvent\n"},
            "transports know nothing of events or sessions",
        ),
        (  # the library imports the test kit
            {"client/factory.py": "from realtime_kit.testing import FakeRealtimeServer\n"},
            "nothing in the library imports testing/",
        ),
        (  # a high-level object names a concrete transport
            {"conversation/_x.py": "from realtime_kit.transports.websocket import open_ws\n"},
            "the high-level objects never name a concrete transport",
        ),
        (
            {"transcriber/_x.py": "from realtime_kit.transports import WebSocketTransport\n"},
            "the high-level objects never name a concrete transport",
        ),
        (  # a private helper of the client layer used from outside it
            {"conversation/_x.py": "from realtime_kit.client._leg import Leg\n"},
            "the client layer's private helpers stay inside it",
        ),
        (  # asyncio outside the places that are about asyncio
            {"conversation/_x.py": "import asyncio\n"},
            "asyncio is imported only where the asyncio backend is the point",
        ),
        (  # aiortc outside the WebRTC transport
            {"client/_x.py": "def f():\n    import aiortc\n"},
            "aiortc and av are imported only by the WebRTC transport and the fake answerer",
        ),
        (  # a new top-level unit nobody placed
            {"telemetry.py": "", "client/_x.py": "from realtime_kit import telemetry\n"},
            "realtime_kit.telemetry has no layer",
        ),
    ],
)
def test_a_wrong_import_is_reported(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    imports = check.collect(_package(tmp_path, files))
    broken = check.layer_violations(imports) + check.rule_violations(imports)
    assert any(v.rule == expected for v in broken), [str(v) for v in broken]


def test_a_type_only_cycle_is_a_cycle(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "client/_a.py": "from realtime_kit.client._b import B\n",
            "client/_b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from realtime_kit.client._a import A\n"
            ),
        },
    )
    cycles = check.find_cycles(check.internal_graph(check.collect(src)))
    assert [[i.importer for i in c] for c in cycles] == [
        ["realtime_kit.client._a", "realtime_kit.client._b"]
    ]
    assert cycles[0][1].type_only


def test_a_deferred_import_cycle_is_a_cycle(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "cost/_a.py": "def f():\n    from realtime_kit.cost import _b\n",
            "cost/_b.py": "from realtime_kit.cost._a import f\n",
        },
    )
    cycles = check.find_cycles(check.internal_graph(check.collect(src)))
    assert len(cycles) == 1


def test_the_command_line_fails_on_a_wrong_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _package(tmp_path, {"events/_x.py": "from realtime_kit.protocol import core\n"})
    assert check.main(["--src", str(src)]) == 1
    out = capsys.readouterr().out
    assert "realtime_kit.events._x:2 imports realtime_kit.protocol" in out
    assert check.main(["--src", str(SRC)]) == 0
