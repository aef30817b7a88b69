"""``scripts/_venv.sh`` installs once and again only when the install could be stale.

The script runs for real (bash) in a scratch checkout whose ``python3`` is a stand-in that logs
what it is asked to do: ``-m venv`` makes a ``.venv`` holding the stand-in, ``-m pip`` succeeds
(or fails, when told to), and everything else runs on the real interpreter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0; fi
if [ "$1 $2" = "-m pip" ]; then exit "${FAKE_PIP_EXIT:-0}"; fi
exec "$REAL_PYTHON" "$@"
"""


class Checkout:
    """A scratch copy of the parts of the repository that ``_venv.sh`` reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "scripts").mkdir(parents=True)
        shutil.copy(ROOT / "scripts" / "_venv.sh", root / "scripts" / "_venv.sh")
        shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
        self.python = root / "fake-python3"
        self.python.write_text(FAKE_PYTHON)
        self.python.chmod(0o755)
        self.log = root / "calls.log"

    def setup(self, extras: str, **env: str) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        return subprocess.run(
            ["bash", "-c", f". scripts/_venv.sh {extras}"],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={
                **os.environ,
                "PYTHON": str(self.python),
                "REAL_PYTHON": sys.executable,
                "FAKE_LOG": str(self.log),
                **env,
            },
        )

    def installs(self) -> list[str]:
        return [c for c in self.log.read_text().splitlines() if c.startswith("-m pip install -")]


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return Checkout(tmp_path / "repo")


def test_a_fresh_checkout_gets_a_venv_and_an_install(checkout: Checkout) -> None:
    result = checkout.setup("dev")
    assert result.returncode == 0, result.stderr
    calls = checkout.log.read_text().splitlines()
    assert calls[0] == "-m venv .venv"
    assert any(c.endswith("-e .[dev]") for c in checkout.installs()), calls


def test_nothing_changed_means_no_reinstall(checkout: Checkout) -> None:
    assert checkout.setup("dev").returncode == 0
    assert checkout.setup("dev").returncode == 0
    assert checkout.installs() == []


def test_a_changed_pyproject_or_other_extras_reinstall(checkout: Checkout) -> None:
    assert checkout.setup("dev").returncode == 0
    pyproject = checkout.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a new dependency, say\n")
    assert checkout.setup("dev").returncode == 0
    assert any(c.endswith("-e .[dev]") for c in checkout.installs())
    assert checkout.setup("cli,testing").returncode == 0
    assert any(c.endswith("-e .[cli,testing]") for c in checkout.installs())
    assert checkout.setup("dev").returncode == 0
    assert checkout.installs() == [], "each set of extras keeps its own stamp"


def test_a_failed_install_is_retried_next_time(checkout: Checkout) -> None:
    assert checkout.setup("dev", FAKE_PIP_EXIT="1").returncode != 0
    assert checkout.setup("dev").returncode == 0
    assert checkout.installs() != []


def test_reinstall_can_be_forced(checkout: Checkout) -> None:
    assert checkout.setup("dev").returncode == 0
    assert checkout.setup("dev", REALTIME_KIT_REINSTALL="1").returncode == 0
    assert checkout.installs() != []
