"""The audio package's public surface: modules documented and curated, root re-exports agree."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import realtime_kit
from realtime_kit import audio

MODULES = ["clock", "devices", "frame", "g711", "resample", "twilio", "wav"]


@pytest.mark.parametrize("name", MODULES)
def test_every_module_has_a_docstring_and_all(name: str) -> None:
    module = importlib.import_module(f"realtime_kit.audio.{name}")
    assert module.__doc__
    assert "Imports:" in module.__doc__ or "imports" in module.__doc__.lower()
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"


def test_package_all_resolves() -> None:
    for name in audio.__all__:
        assert hasattr(audio, name), name


def test_root_reexports_are_the_same_objects() -> None:
    for name in ("PCMFrame", "PlaybackClock", "PlaybackPosition", "Resampler"):
        assert name in realtime_kit.__all__
        assert getattr(realtime_kit, name) is getattr(audio, name)
    assert "audio" in realtime_kit.__all__


def test_importing_audio_does_not_import_sounddevice() -> None:
    code = "import sys, realtime_kit.audio; assert 'sounddevice' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
