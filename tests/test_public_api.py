"""The public surface is curated: every module declares ``__all__``, every listed name exists,
and what the package root re-exports is the very object its subpackage exports."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import realtime_kit
from realtime_kit.errors import MissingExtraError


def _modules() -> list[types.ModuleType]:
    found = [realtime_kit]
    for info in pkgutil.walk_packages(realtime_kit.__path__, prefix="realtime_kit."):
        try:
            found.append(importlib.import_module(info.name))
        except MissingExtraError:
            continue  # an optional extra that is not installed here
    return found


MODULES = _modules()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_module_declares_all_and_every_name_exists(module: types.ModuleType) -> None:
    assert module.__doc__, f"{module.__name__} has no docstring"
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__"
    assert len(names) == len(set(names)), "duplicates in __all__"
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, missing


def test_root_reexports_agree_with_subpackages() -> None:
    exported: dict[str, object] = {}
    for module in MODULES[1:]:
        for name in module.__all__:
            exported.setdefault(name, getattr(module, name))
    for name in realtime_kit.__all__:
        value = getattr(realtime_kit, name)
        if isinstance(value, types.ModuleType) or name == "__version__":
            continue
        assert name in exported, f"realtime_kit.{name} is not in any subpackage's __all__"
        assert value is exported[name], f"realtime_kit.{name} differs from its subpackage's"
