"""What a scenario run needs besides the conversation: its tools and a recognizer for WAV turns.

* :func:`resolve_tools` turns the scenario's tool names into objects: a name from the registry
  the test passes in, ``package.module:function``, or ``file.py:function`` (a Python file next
  to the scenario, loaded as a module of its own);
* :class:`ScenarioRecognizer` hears exactly what the caller said: each clip it was taught (the
  synthesized words of a ``say`` turn, a WAV turn with the ``text`` the scenario gives it) is
  found in the committed audio by a fingerprint of the clip's loudest 20 ms (never a quiet
  stretch: a pause between words would match any silence, in any turn).

Imports: numpy, the standard library, ``errors``, ``audio``, and the sibling ``_scenario_read``
and ``speech`` modules.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from realtime_kit.audio import PCMFrame
from realtime_kit.audio._fingerprints import is_silent
from realtime_kit.errors import ConfigurationError
from realtime_kit.testing._scenario_read import fail

__all__ = ["UNKNOWN_SPEECH", "ScenarioRecognizer", "resolve_tools"]

UNKNOWN_SPEECH = "[speech]"
_PRINT_SAMPLES = 480  # 20 ms at 24 kHz
_SILENT_PEAK = 300


def _tool_name(tool: Any) -> str:
    name = getattr(tool, "name", None)
    if isinstance(name, str):
        return name
    return str(getattr(tool, "__name__", type(tool).__name__))


def resolve_tools(
    names: Sequence[str],
    registry: Mapping[str, Any] | Sequence[Any] | None,
    *,
    base_dir: Path | None,
    source: str,
) -> list[Any]:
    """The tool objects the scenario names (all of the registry when it names none).

    Raises:
        ConfigurationError: a name that is neither in the registry nor an importable path.
    """
    if registry is None:
        known: dict[str, Any] = {}
    elif isinstance(registry, Mapping):
        known = dict(registry)
    else:
        known = {_tool_name(tool): tool for tool in registry}
    if not names:
        return list(known.values())
    tools: list[Any] = []
    for name in names:
        if name in known:
            tools.append(known[name])
        elif ":" in name:
            tools.append(_import(name, base_dir, source))
        else:
            offered = ", ".join(sorted(known)) or "none"
            raise fail(
                source,
                "agent.tools",
                f"unknown tool {name!r}: not in the tools given to run_scenario ({offered}),"
                " and not an import path ('package.module:function' or 'file.py:function')",
            )
    return tools


def _import(path: str, base_dir: Path | None, source: str) -> Any:
    module_name, _, attribute = path.rpartition(":")
    try:
        if module_name.endswith(".py"):
            module = _load_file(Path(module_name), base_dir)
        else:
            module = importlib.import_module(module_name)
        value: Any = module
        for part in attribute.split("."):
            value = getattr(value, part)
    except (FileNotFoundError, ImportError, AttributeError) as exc:
        raise fail(source, "agent.tools", f"cannot load {path!r}: {exc}") from None
    except Exception as exc:  # the user's module failed while importing: say how, chained
        raise fail(
            source, "agent.tools", f"loading {path!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(value):
        raise fail(source, "agent.tools", f"{path!r} is a {type(value).__name__}, not a tool")
    return value


def _load_file(file: Path, base_dir: Path | None) -> Any:
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    if not file.is_file():
        raise FileNotFoundError(f"no such file {str(file)!r}")
    # A name of its own per file, registered while it runs so its annotations resolve.
    digest = hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:12]
    name = f"realtime_kit_scenario_tools_{file.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"{str(file)!r} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class ScenarioRecognizer:
    """The fake server's recognizer for a scenario (see the module docstring)."""

    def __init__(self) -> None:
        self._clips: list[tuple[bytes, str]] = []

    def add(self, clip: PCMFrame, text: str) -> None:
        """Recognize ``clip`` (mono PCM16 24 kHz, sent byte for byte) as ``text``.

        Raises:
            ConfigurationError: the clip is silent (nothing to recognize it by).
        """
        samples = clip.samples.astype(np.int64)
        blocks = samples.size // _PRINT_SAMPLES
        if blocks == 0 or int(np.max(np.abs(samples))) < _SILENT_PEAK:
            raise ConfigurationError(f"the clip for {text!r} is silent or shorter than 20 ms")
        energy = (samples[: blocks * _PRINT_SAMPLES] ** 2).reshape(blocks, -1).sum(axis=1)
        loudest = int(np.argmax(energy)) * _PRINT_SAMPLES
        fingerprint = clip.to_bytes()[loudest * 2 : (loudest + _PRINT_SAMPLES) * 2]
        if (fingerprint, text) not in self._clips:
            self._clips.append((fingerprint, text))

    def recognize(self, audio: bytes) -> str:
        """The texts of the known clips in ``audio``, else ``""`` (silence) or ``[speech]``."""
        hits: list[tuple[int, str]] = []
        for fingerprint, text in self._clips:
            at = audio.find(fingerprint)
            if at >= 0 and at % 2 == 0:
                hits.append((at, text))
        if hits:
            return " ".join(text for _, text in sorted(hits))
        return "" if is_silent(audio, threshold=_SILENT_PEAK) else UNKNOWN_SPEECH

    def __repr__(self) -> str:
        return f"ScenarioRecognizer(clips={len(self._clips)})"
