"""The ``realtime-kit`` command's first-run edges: every user mistake is one line and an exit code.

Each case runs ``main()`` in process (stderr captured), and one runs the real entry point in a
subprocess to show that no traceback reaches the terminal.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import realtime_kit
from realtime_kit.cli import main


def _one_error_line(err: str, command: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line, got {err!r}"
    assert lines[0].startswith(f"realtime-kit {command}: "), lines[0]
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something is already listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"realtime-kit {realtime_kit.__version__}"


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        ("{not json", "bad.json", "price card json is not valid"),
        ('format = "realtime_kit.price_cards/1"\ncards = "nope"\n', "bad.toml", "cards"),
        (None, "missing.toml", "cannot read price card file"),
    ],
    ids=["bad-json", "bad-schema", "missing"],
)
def test_cost_with_a_bad_card_file_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    name: str,
    says: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    assert main(["cost", "--cards", str(path)]) == 2
    captured = capsys.readouterr()
    assert says in _one_error_line(captured.err, "cost")
    assert captured.out == ""


def test_fake_server_on_a_busy_port_is_one_line_and_exit_1(
    busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fake-server", "--port", str(busy_port)]) == 1
    line = _one_error_line(capsys.readouterr().err, "fake-server")
    assert f"127.0.0.1:{busy_port}" in line
    assert "in use" in line


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_fake_server_refuses_a_port_that_is_not_one(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["fake-server", "--port", port])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port" in err
    assert "Traceback" not in err


def test_fake_server_with_an_unreadable_recording_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fake-server", "--replay", str(tmp_path / "none.jsonl")]) == 2
    assert "cannot read" in _one_error_line(capsys.readouterr().err, "fake-server")
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text('{"not": "a recording line"}\n')
    assert main(["fake-server", "--replay", str(garbage)]) == 2
    assert "is not a recording" in _one_error_line(capsys.readouterr().err, "fake-server")


def test_fake_server_with_an_unwritable_record_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "rec.jsonl"
    assert main(["fake-server", "--record", str(target)]) == 2
    line = _one_error_line(capsys.readouterr().err, "fake-server")
    assert f"cannot record to {target}" in line


def test_transcribe_help_names_the_models_and_the_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["transcribe", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "default: gpt-realtime-whisper" in help_text
    assert "gpt-4o-transcribe" in help_text


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    entry_point = "import sys; from realtime_kit.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", entry_point, "cost", "--cards", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    _one_error_line(result.stderr, "cost")


def test_cost_shows_card_file_text_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    cards = tmp_path / "cards.toml"
    cards.write_text(
        'format = "realtime_kit.price_cards/1"\n'
        "[[cards]]\n"
        'model = "my-[bold]model[/bold]"\n'
        'kind = "per_minute"\n'
        "effective = 2026-12-01\n"
        'source = "https://example.com/[red]prices"\n'
        "[cards.rates]\n"
        'minute = "0.02"\n'
    )
    assert main(["cost", "--cards", str(cards)]) == 0
    out = capsys.readouterr().out
    assert "my-[bold]model[/bold]" in out
    assert "https://example.com/[red]prices" in out


def test_cost_says_which_rates_of_a_partial_card_are_unpriced(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["cost", "--plain"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("gpt-realtime ")]
    assert "text_input 4.00" in line
    assert "audio_output unpriced" in line
    assert "no audio or image rate" in line  # the card's note
    assert main(["cost"]) == 0
    out = capsys.readouterr().out
    assert "audio_output unpriced" in out
    assert "gpt-realtime-mini: only text input appears in the sources" in out
