"""The ``realtime-kit transcribe`` and ``cost`` commands (offline, in process)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from realtime_kit.cli import main
from realtime_kit.cli._offline import UNKNOWN_SPEECH, SidecarRecognizer
from tests.transcriber._util import SAMPLE_JSON, SAMPLE_WAV, sample_truth

ROOT = Path(__file__).resolve().parents[2]


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_offline_json_run_prints_the_real_sentences_and_writes_subtitles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    srt, vtt = tmp_path / "o.srt", tmp_path / "o.vtt"
    code = main(["transcribe", str(SAMPLE_WAV), "--json", "--srt", str(srt), "--vtt", str(vtt)])
    assert code == 0
    lines = _json_lines(capsys.readouterr().out)
    notice, summary = lines[0], lines[-1]
    assert notice["type"] == "notice"
    assert "no OPENAI_API_KEY" in str(notice["message"])
    truth = sample_truth()
    assert summary["transcript"] == " ".join(s["text"] for s in truth)
    assert summary["offline"] is True
    finals = [line for line in lines if line["type"] == "final"]
    assert [f["text"] for f in finals] == [s["text"] for s in truth]
    assert srt.read_text().count(" --> ") == 3
    assert vtt.read_text().startswith("WEBVTT\n\n")
    assert float(str(summary["cost_usd"])) > 0


def test_the_rich_display_says_offline_and_shows_segments_and_cost(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-used")
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["transcribe", str(SAMPLE_WAV), "--offline", "--model", "gpt-4o-transcribe"]) == 0
    out = capsys.readouterr().out
    assert "OFFLINE (--offline)" in out
    for sentence in sample_truth():
        assert sentence["text"] in out
    assert "0.40" in out  # the first segment's start
    assert "cost:" in out
    assert "gpt-4o-transcribe" in out


def test_a_bad_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    assert main(["transcribe", str(bad), "--offline", "--json"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cost_prints_the_price_cards(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--plain"]) == 0
    out = capsys.readouterr().out
    assert "gpt-realtime-whisper" in out
    assert "minute 0.017" in out
    assert "gpt-realtime-2 " in out
    assert main(["cost"]) == 0
    rich_out = capsys.readouterr().out
    assert "price cards" in rich_out
    assert "gpt-4o-realtime-preview" in rich_out
    assert "(retired)" in rich_out
    assert "audio_output 64.00" in rich_out  # each rate whole on its own line
    # Every card's source is listed under the table, numbered.
    assert "[1] https://" in rich_out


def test_sidecar_recognizer_hears_only_what_is_there() -> None:
    recognizer = SidecarRecognizer(SAMPLE_WAV, SAMPLE_JSON)
    pcm = SAMPLE_WAV.read_bytes()[44:]
    assert recognizer.recognize(pcm) == " ".join(s["text"] for s in sample_truth())
    assert recognizer.recognize(bytes(4800)) == ""
    assert recognizer.recognize(b"\x00\x40" * 2400) == UNKNOWN_SPEECH


def test_the_sample_wav_is_what_its_script_makes(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_sample_wav.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert (tmp_path / "sample.json").read_text() == SAMPLE_JSON.read_text()
    assert (tmp_path / "sample.wav").read_bytes() == SAMPLE_WAV.read_bytes()
    assert SAMPLE_WAV.stat().st_size < 400_000


def test_demo_script_runs_the_offline_voice_agent() -> None:
    script = (ROOT / "scripts" / "demo.sh").read_text()
    assert "realtime-kit talk examples/data/caller.wav --offline" in script
    assert "cli,testing" in script


def test_the_docs_python_quickstart_runs_offline(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "transcriber.md").read_text()
    code = page.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "quickstart.py"
    script.write_text(code)
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    result = subprocess.run(
        [sys.executable, str(script)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("Hello there.")
    assert lines[1].endswith("Captions, offline.")
    assert lines[2].startswith("Hello there. Captions, offline. ")


def test_an_unreachable_server_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    assert main(["transcribe", str(SAMPLE_WAV), "--json"]) == 1
    err = capsys.readouterr().err
    assert "TransportError" in err
    assert "127.0.0.1:9" in err


def test_caption_text_is_shown_as_written_never_as_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    # The sample's audio under a transcript whose sentences look like rich markup.
    wav = tmp_path / "markup.wav"
    shutil.copy(SAMPLE_WAV, wav)
    meta = json.loads(SAMPLE_JSON.read_text("utf-8"))
    texts = ["[bold]Welcome[/bold] to realtime kit.", "Captions [speech] arrive.", "[red]Every[/]"]
    for sentence, text in zip(meta["sentences"], texts, strict=True):
        sentence["text"] = text
    wav.with_suffix(".json").write_text(json.dumps(meta), "utf-8")
    assert main(["transcribe", str(wav), "--offline"]) == 0
    out = capsys.readouterr().out
    for text in texts:
        assert re.search(rf"s  {re.escape(text)}$", out, re.MULTILINE), f"caption {text!r} changed"
        assert f"│ {text}" in out, f"segment row {text!r} changed"
    assert f"transcript: {' '.join(texts)}" in out


def test_a_file_without_a_transcript_shows_speech_captions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    wav = tmp_path / "unknown.wav"
    shutil.copy(SAMPLE_WAV, wav)  # no sidecar: the offline server cannot understand it
    assert main(["transcribe", str(wav), "--offline"]) == 0
    out = capsys.readouterr().out
    assert "each turn is captioned '[speech]'" in out
    finals = re.findall(r"^ +\d+\.\d\d– +\d+\.\d\d s  (.*)$", out, re.MULTILINE)
    assert finals == [UNKNOWN_SPEECH] * 3
    assert f"transcript: {' '.join([UNKNOWN_SPEECH] * 3)}" in out


def test_the_billed_seconds_are_said_once_and_the_same_everywhere(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["transcribe", str(SAMPLE_WAV), "--offline", "--json"]) == 0
    summary = _json_lines(capsys.readouterr().out)[-1]
    audio = Decimal(str(summary["audio_seconds"])).quantize(Decimal("0.01"))
    billed = Decimal(str(summary["billed_seconds"]))
    # Per-minute models are billed per commit, each rounded up to whole seconds: more than the
    # file's length here (three turns), and never a fraction.
    assert billed > audio
    assert billed == billed.to_integral_value()
    assert main(["transcribe", str(SAMPLE_WAV), "--offline"]) == 0
    out = capsys.readouterr().out
    assert (
        f"{billed.normalize():f} s billed for {audio} s of audio (the server bills each "
        "commit's audio rounded up to a whole second)"
    ) in out
    assert f"minute  {billed:.3f} s" in out  # the meter's table: the same quantity
