"""Decode a recorded Realtime session and print what happened in it — offline, no API key.

    python examples/summarise_recording.py examples/data/voice_turn.jsonl

The recording format is the fake server's (``realtime_kit.testing``): one JSON object per line
with ``t`` (seconds), ``dir`` (``in`` = client → server, ``out`` = server → client) and
``frame`` (the event). Every frame goes through realtime_kit's typed decoders.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from realtime_kit import events as ev
from realtime_kit.events import EventDecoder

PCM16_BYTES_PER_MS = 48  # 24 kHz mono 16-bit


def summarise(path: Path) -> str:
    decoder = EventDecoder()
    counts: Counter[str] = Counter()
    sent_ms = received_ms = 0.0
    lines: list[str] = []
    assistant: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        if record["dir"] not in ("in", "out"):
            continue
        frame = json.dumps(record["frame"])
        event = (
            decoder.decode_client(frame) if record["dir"] == "in" else decoder.decode_server(frame)
        )
        counts[event.type] += 1
        stamp = f"{record['t']:7.2f}s"
        match event:
            case ev.SessionCreatedEvent(session=ev.RealtimeSession(model=model)):
                lines.append(f"{stamp}  session created (realtime, model {model})")
            case ev.SessionUpdatedEvent():
                lines.append(f"{stamp}  session configured")
            case ev.InputAudioBufferAppendEvent():
                sent_ms += len(event.audio_bytes()) / PCM16_BYTES_PER_MS
            case ev.InputAudioBufferSpeechStartedEvent(audio_start_ms=start):
                lines.append(f"{stamp}  user started speaking (at {start} ms of input audio)")
            case ev.InputAudioBufferSpeechStoppedEvent(audio_end_ms=end):
                lines.append(f"{stamp}  user stopped speaking (at {end} ms)")
            case ev.ConversationItemInputAudioTranscriptionCompletedEvent(transcript=text):
                lines.append(f"{stamp}  user said: {text!r}")
            case ev.ResponseOutputAudioDeltaEvent(item_id=item):
                received_ms += len(event.pcm16_array()) / 24
                assistant.setdefault(item, "")
            case ev.ResponseOutputAudioTranscriptDeltaEvent(item_id=item, delta=delta):
                assistant[item] = assistant.get(item, "") + delta
            case ev.ResponseDoneEvent(response=response):
                usage = response.usage
                tokens = f", {usage.total_tokens} tokens" if usage else ""
                lines.append(f"{stamp}  response {response.status}{tokens}")
                for item, text in assistant.items():
                    lines.append(f"{'':9}  assistant said ({item}): {text!r}")
                assistant.clear()
            case _:
                pass
    lines.append("")
    lines.append(f"audio sent {sent_ms:.0f} ms, received {received_ms:.0f} ms")
    lines.append("events: " + ", ".join(f"{t} x{n}" for t, n in sorted(counts.items())))
    lines.append(str(decoder.drift))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(summarise(Path(argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
