"""A real browser against our stack: headless Chromium (Debian's package, driven by Playwright
with the system binary) runs the example page, which mints an ephemeral key from the example
app and calls the fake server over WebRTC. One spoken turn: its microphone is a WAV of
synthetic speech, the server hears it (pocketsphinx, through Opus), answers, and the page logs
the events and the transcripts.

Skipped, with the reason, only where no Chromium binary or no Playwright is installed
(``.ci/run`` installs both)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from realtime_kit.testing import (
    EspeakSynthesizer,
    FakeRealtimeServer,
    ScriptedBrain,
    ScriptedRecognizer,
)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("REALTIME_KIT_CHROMIUM") or shutil.which("chromium") or ""
SAID = "what time is it"
# Playwright adds --headless itself (headless=True) and the profile directory (user_data_dir).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]

if not CHROMIUM:
    pytest.skip("no chromium binary (apt-get install chromium)", allow_module_level=True)
if importlib.util.find_spec("playwright") is None:
    pytest.skip("playwright is not installed (the dev extra has it)", allow_module_level=True)


def _load_app() -> Any:
    spec = importlib.util.spec_from_file_location(
        "webrtc_browser_app", ROOT / "examples" / "webrtc_browser" / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _microphone(path: Path) -> float:
    """Half a second of silence, the sentence, then two seconds of silence, at 48 kHz; returns
    the sentence's length in ms."""
    speech = np.frombuffer(EspeakSynthesizer().synthesize(SAID), dtype="<i2")
    pcm24 = np.concatenate([np.zeros(12_000, np.int16), speech, np.zeros(48_000, np.int16)])
    pcm48 = np.repeat(pcm24, 2)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48_000)
        w.writeframes(pcm48.astype("<i2").tobytes())
    return speech.size / 24


async def test_a_browser_speaks_one_turn_over_webrtc(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    app_module = _load_app()
    wav = tmp_path / "mic.wav"
    spoken_ms = _microphone(wav)
    recognizer = ScriptedRecognizer(default=SAID)
    brain = ScriptedBrain(default_reply="You asked: {text}")
    async with FakeRealtimeServer(webrtc=True, recognizer=recognizer, brain=brain) as server:
        app = app_module.create_app(server.base_url, "sk-browser-test")
        with app_module.serve(app) as url:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch_persistent_context(
                    str(tmp_path / "profile"),
                    executable_path=CHROMIUM,
                    headless=True,
                    args=[*FLAGS, f"--use-file-for-fake-audio-capture={wav}%noloop"],
                    viewport={"width": 900, "height": 820},
                )
                try:
                    page = await browser.new_page()
                    await page.goto(url + "?autostart")
                    await page.wait_for_function(
                        "window.rk.done || window.rk.errors.length > 0", timeout=90_000
                    )
                    rk = await page.evaluate(
                        "({events: rk.events, turns: rk.turns, errors: rk.errors,"
                        " peak: rk.peakLevel})"
                    )
                    shot = os.environ.get("REALTIME_KIT_BROWSER_SCREENSHOT")
                    await page.screenshot(path=shot or str(tmp_path / "page.png"), full_page=True)
                finally:
                    await browser.close()
            user_audio = [
                len(pcm) / 48
                for handle in server.connections
                if handle.session is not None
                for item_id, pcm in handle.session.audio.items()
                if handle.session.items.get(item_id, {}).get("role") == "user"
            ]
    assert rk["errors"] == []
    events = rk["events"]
    order = [
        "session.created",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "output_audio_buffer.started",
        "response.done",
        "output_audio_buffer.stopped",
    ]
    firsts = [events.index(t) for t in order]
    assert firsts == sorted(firsts), events
    assert rk["turns"][:2] == [
        {"who": "user", "text": SAID},
        {"who": "assistant", "text": f"You asked: {SAID}"},
    ]
    assert rk["peak"] > 0.01, "no audio reached the page's track"
    # The browser's microphone reached the server: the committed turn(s) hold the sentence.
    assert user_audio, "the server stored no audio"
    assert max(user_audio) >= 0.6 * spoken_ms, (user_audio, spoken_ms)
