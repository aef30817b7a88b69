"""The README's offline main job runs, and its bundled recording is current."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_summarises_the_bundled_recording() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "summarise_recording.py"),
         str(ROOT / "examples" / "data" / "voice_turn.jsonl")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    out = result.stdout
    assert "session created (realtime, model gpt-realtime-2)" in out
    assert 'user said: "What\'s the weather like in Lisbon?"' in out
    assert "assistant said (item_asst1): 'It is sunny and warm in Lisbon today.'" in out
    assert "audio sent 1200 ms, received 800 ms" in out
    assert "no drift" in out


def test_bundled_recording_is_what_the_script_makes(tmp_path: Path) -> None:
    maker = _load(ROOT / "examples" / "data" / "make_voice_turn.py")
    maker.OUT = tmp_path / "voice_turn.jsonl"  # type: ignore[attr-defined]
    maker.main()  # type: ignore[attr-defined]
    bundled = (ROOT / "examples" / "data" / "voice_turn.jsonl").read_text(encoding="utf-8")
    assert maker.OUT.read_text(encoding="utf-8") == bundled  # type: ignore[attr-defined]


def test_audio_example_converts_a_wav_to_the_api_format(tmp_path: Path) -> None:
    import wave

    import numpy as np

    source = tmp_path / "in.wav"
    with wave.open(str(source), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48_000)
        tone = (np.sin(np.arange(48_000) * 2 * np.pi * 440 / 48_000) * 8000).astype("<i2")
        w.writeframes(np.repeat(tone, 2).tobytes())
    target = tmp_path / "out.wav"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "audio_wav_to_api_format.py"),
         str(source), str(target)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    with wave.open(str(target), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24_000, 1, 2)
        assert abs(w.getnframes() - 24_000) <= 480  # one second, give or take a 20 ms frame


def test_voice_agent_example_runs_offline() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "voice_agent.py")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    out = result.stdout
    assert "caller: What is the weather in Paris?" in out
    assert 'tool get_weather -> {"city":"Paris","temperature_c":21,"sky":"sunny"}' in out
    assert "(caller interrupted after 2000 ms)" in out
    assert "Assistant: It is sunny and 21 degrees in Paris, —" in out
    assert "Assistant: You are welcome, goodbye!" in out


def test_audio_example_without_arguments_leaves_nothing_behind(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "audio_wav_to_api_format.py")],
        capture_output=True, text=True, check=True, timeout=60,
        env={**os.environ, "TMPDIR": str(scratch)},
    )  # fmt: skip
    assert "wrote 1000 ms at 24000 Hz, 1 channel(s), PCM16" in result.stdout
    assert list(scratch.iterdir()) == [], "the example left its temporary folder behind"


def test_translate_example_runs_offline_with_aligned_bilingual_subtitles() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "translate_offline.py")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    out = result.stdout
    assert "es: ¿Dónde está la estación?" in out
    assert "fr: Le train part à midi." in out
    # The SRT pairs each sentence with its translation, at where it was said.
    assert "00:00:00,800 --> " in out
    assert "Where is the station?\n¿Dónde está la estación?\n" in out
    assert "The train leaves at noon.\nEl tren sale a mediodía.\n" in out
    assert "cost: $0.00" in out
    assert "2 languages" in out


def test_run_scenario_example_judges_the_weather_scenario_offline() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run_scenario.py")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert 'PASS  turn 1: calls get_weather with {"city": "Paris"}' in out
    assert "PASS  turn 2: cuts the agent off — cut the agent off after 2000 ms" in out
    assert "PASS  [brief] answers in 25 words or fewer" in out
    assert "The caller cut in after 2000 ms, having heard: 'It is sunny" in out
    assert "User: Thanks, that is all.\nAssistant: You are welcome. Goodbye!" in out
    assert "weather line: PASSED — 10 of 10 expectations held" in out
