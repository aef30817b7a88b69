"""Translate speech into Spanish and French at once, offline, with bilingual subtitles.

The embedded fake Realtime server stands in for OpenAI (no API key, no network): it hears the
speech it synthesized itself, "translates" with a phrase table, and speaks the translation. The
Translator is the real thing: one input, one session per language, sentences aligned with the
source, translated audio, SRT out and the cost.

    .venv/bin/python examples/translate_offline.py        # needs the `testing` extra
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from realtime_kit import Translator
from realtime_kit.testing import FakeRealtimeServer, ScriptedTranslator
from realtime_kit.translator import TargetFinal, TranslationRestored

SENTENCES = ("Where is the station?", "The train leaves at noon.")
PHRASES = {
    ("Where is the station?", "es"): "¿Dónde está la estación?",
    ("Where is the station?", "fr"): "Où est la gare ?",
    ("The train leaves at noon.", "es"): "El tren sale a mediodía.",
    ("The train leaves at noon.", "fr"): "Le train part à midi.",
}


async def main() -> None:
    # pace=0: the fake server sends its translated speech as fast as it can, not in real time.
    async with FakeRealtimeServer(translator=ScriptedTranslator(PHRASES), pace=0) as server:
        pause = bytes(48 * 800)  # 800 ms of silence, PCM16 at 24 kHz
        audio = pause + pause.join(server.speak(s) for s in SENTENCES) + pause

        async def microphone() -> AsyncIterator[bytes]:  # any async iterable of audio
            for i in range(0, len(audio), 960):  # 20 ms chunks
                yield audio[i : i + 960]

        translator = Translator(
            ["es", "fr"], source_transcript=True, api_key="sk-test", base_url=server.base_url
        )
        async with translator:
            translator.stream_audio(microphone())  # ends the input when the source ends
            async for event in translator.events():
                match event:
                    case TargetFinal(segment=segment):
                        print(f"{segment.start:5.2f} s  {segment.source_text}")
                        print(f"        {segment.language}: {segment.text}")
                    case TranslationRestored():
                        print(f"reconnected ({event.cause}); lost: {event.lost or 'nothing'}")
            spanish = [frame async for frame in translator.audio("es")]
    result = translator.result()
    print()
    print(result.to_srt("es", side="both"), end="")
    seconds = sum(frame.duration_ms for frame in spanish) / 1000
    print(f"Spanish speech: {seconds:.1f} s")
    print(f"cost: ${result.cost_usd:.6f} ({result.input_seconds:.1f} s of input, 2 languages)")


if __name__ == "__main__":
    anyio.run(main)
