"""The ``realtime-kit translate`` command (offline, in process)."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from realtime_kit.cli import main
from tests.transcriber._util import SAMPLE_WAV, sample_truth
from tests.translator._util import parse_srt, parse_vtt


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_offline_json_run_writes_audio_and_subtitles_of_both_sides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    es_wav, fr_wav = tmp_path / "es.wav", tmp_path / "fr.wav"
    es_srt, source_vtt = tmp_path / "es.srt", tmp_path / "src.vtt"
    code = main(
        [
            "translate", str(SAMPLE_WAV), "--to", "es", "--to", "FR", "--json",
            "--out", f"fr={fr_wav}", "--out", str(es_wav), "--output-rate", "16000",
            "--srt", str(es_srt), "--both", "--source-srt", str(source_vtt),
        ]
    )  # fmt: skip
    assert code == 0
    lines = _json_lines(capsys.readouterr().out)
    notice, summary = lines[0], lines[-1]
    assert notice["type"] == "notice"
    assert "no OPENAI_API_KEY" in str(notice["message"])
    truth = [s["text"] for s in sample_truth()]
    assert summary["translations"] == {
        lang: " ".join(f"[{lang}] {t}" for t in truth) for lang in ("es", "fr")
    }
    assert summary["source"] == truth
    assert summary["offline"] is True
    finals = [line for line in lines if line["type"] == "final"]
    assert sorted((f["language"], f["source"]) for f in finals) == sorted(
        (lang, t) for lang in ("es", "fr") for t in truth
    )
    costs = summary["cost_by_language"]
    assert isinstance(costs, dict)
    assert float(str(summary["cost_usd"])) == pytest.approx(sum(float(v) for v in costs.values()))
    cues = parse_srt(es_srt.read_text("utf-8"))
    assert [c.text for c in cues] == [f"{t}\n[es] {t}" for t in truth]
    for cue, sentence in zip(cues, sample_truth(), strict=True):
        assert abs(cue.start - sentence["start"]) <= 0.15
    assert [c.text for c in parse_vtt(source_vtt.read_text("utf-8"))] == truth
    for path in (es_wav, fr_wav):
        with wave.open(str(path), "rb") as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16_000, 1, 2)
            assert w.getnframes() > 16_000  # seconds of translated speech


def test_the_rich_display_shows_two_columns_and_the_cost(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-used")
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["translate", str(SAMPLE_WAV), "--offline", "--to", "de"]) == 0
    out = capsys.readouterr().out
    assert "OFFLINE (--offline)" in out
    assert "stand-ins ('[de]" in out  # markup is not eaten
    rows = [line for line in out.splitlines() if "[de] " in line and " s " in line]
    for sentence in sample_truth():
        # what was said and its translation side by side, at where it was said
        assert any(sentence["text"] in row and f"[de] {sentence['text']}" in row for row in rows), (
            out
        )
    assert "0.40 s" in out
    assert "cost:" in out
    assert "gpt-realtime-translate" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["translate", "missing.wav", "--to", "es"], "cannot read 'missing.wav'"),
        (["translate", str(SAMPLE_WAV), "--to", "xx"], "--allow-unknown-language"),
        (["translate", str(SAMPLE_WAV), "--to", "es", "--out", "a.wav", "--out", "b.wav"],
         "more --out files than languages"),
        (["translate", str(SAMPLE_WAV), "--to", "es", "--no-source", "--source-srt", "s.srt"],
         "--source-srt needs the source transcript"),
        (["translate", str(SAMPLE_WAV), "--to", "es", "--languages", "nope.toml"],
         "cannot read the language list"),
    ],
)  # fmt: skip
def test_errors_are_one_line_and_a_non_zero_exit(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main([*argv, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing started, nothing shown
    (line,) = captured.err.splitlines()
    assert line.startswith("realtime-kit translate: ")
    assert message in line
    assert "Traceback" not in captured.err
