"""How much does metering cost on the audio hot path? A ratio against decoding the same frames.

Run: ``python benchmarks/bench_cost_observe.py``. For 200 ms PCM16 frames (9,600 bytes, the
translation and typical microphone cadence) it times, in one run:

* baseline: ``decode_client_event`` of the frame's JSON (work every connection does anyway);
* ``CostMeter.observe`` of the decoded event: realtime session (estimate path), translation
  session (billing path), and realtime with a budget (spend re-checked on every frame);
* a naive meter that base64-decodes the audio to measure it.

and prints each as a ratio to the baseline. The meter measures audio from the base64 length, so
its ratio should stay far below 1 and below the naive one.
"""

from __future__ import annotations

import json
import timeit

import pybase64

from realtime_kit.cost import Budget, CostMeter
from realtime_kit.events import decode_client_event

FRAME = pybase64.b64encode(bytes(9_600)).decode()
N = 20_000


def main() -> None:
    text = json.dumps({"type": "input_audio_buffer.append", "audio": FRAME})
    event = decode_client_event(text)
    translation_event = decode_client_event(
        json.dumps({"type": "session.input_audio_buffer.append", "audio": FRAME})
    )
    realtime = CostMeter("gpt-realtime-2")
    translation = CostMeter("gpt-realtime-translate")
    # A budget so large it never fires: every frame re-checks the spend against it.
    budgeted = CostMeter("gpt-realtime-2", budget=Budget(10**9))

    baseline = min(timeit.repeat(lambda: decode_client_event(text), number=N, repeat=3))
    runs = {
        "observe, realtime (estimate)": lambda: realtime.observe(event),
        "observe, translation (billed)": lambda: translation.observe(translation_event),
        "observe, realtime with a budget": lambda: budgeted.observe(event),
        "naive: base64-decode to measure": lambda: len(pybase64.b64decode(FRAME)),
    }
    print(f"baseline decode_client_event: {baseline / N * 1e6:.2f} µs per frame")
    for name, fn in runs.items():
        best = min(timeit.repeat(fn, number=N, repeat=3))
        print(f"{name:34s} {best / N * 1e6:7.2f} µs  ratio to baseline {best / baseline:.3f}")


if __name__ == "__main__":
    main()
