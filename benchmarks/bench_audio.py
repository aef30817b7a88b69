"""Per-20 ms-frame cost of the audio hot paths, as ratios against baselines measured in this run.

Run by hand: ``.venv/bin/python benchmarks/bench_audio.py`` (not part of the test suite).
Each figure is the best of several runs (ours and the baseline alternate, so both see the same
machine load) of the time to process one 20 ms frame; the ratio column is ours / baseline,
so < 1 means faster than the baseline.

Baselines: ``numpy.interp`` linear interpolation (a naive resampler with no anti-aliasing filter)
and CPython's ``audioop`` (stdlib up to 3.12, ``audioop-lts`` after), the usual hand-rolled
telephony path (``ratecv`` + ``lin2ulaw``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np

from realtime_kit.audio import PCMFrame, PlaybackClock, Resampler, g711

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

FRAMES = 500  # 10 s of audio per timing run
REPEATS = 7


def _run_once(make: Callable[[], Callable[[int], object]]) -> float:
    step = make()
    t0 = time.perf_counter()
    for i in range(FRAMES):
        step(i)
    return (time.perf_counter() - t0) / FRAMES * 1e6


def per_frame_us(make: Callable[[], Callable[[int], object]]) -> float:
    """Best µs per frame over the repeats: ``make`` builds fresh state, step handles frame i."""
    return min(_run_once(make) for _ in range(REPEATS))


def paired_us(
    ours: Callable[[], Callable[[int], object]], base: Callable[[], Callable[[int], object]]
) -> tuple[float, float]:
    """Alternate the two so both see the same machine load; best of each (least disturbed)."""
    a, b = [], []
    for _ in range(REPEATS):
        a.append(_run_once(ours))
        b.append(_run_once(base))
    return min(a), min(b)


def tone(rate: int, seconds: float) -> PCMFrame:
    t = np.arange(round(rate * seconds)) / rate
    return PCMFrame.from_float(0.3 * np.sin(2 * np.pi * 440 * t), rate)


def main() -> None:
    mic = list(tone(48_000, FRAMES / 50).chunks(20))
    model = list(tone(24_000, FRAMES / 50).chunks(20))
    model_bytes = [f.to_bytes() for f in model]
    ulaw_frames = [g711.encode_ulaw(f) for f in tone(8_000, FRAMES / 50).chunks(20)]

    def ours_resample() -> Callable[[int], object]:
        r = Resampler(48_000, 24_000)
        return lambda i: r.process(mic[i])

    def naive_interp() -> Callable[[int], object]:
        x_in = np.arange(960)
        x_out = np.arange(480) * 2.0

        def step(i: int) -> object:
            y = np.interp(x_out, x_in, mic[i].samples.astype(np.float32))
            return PCMFrame(np.rint(y).astype(np.int16))

        return step

    def audioop_ratecv_mic() -> Callable[[int], object]:
        state: list[object] = [None]

        def step(i: int) -> object:
            out, state[0] = audioop.ratecv(mic[i].to_bytes(), 2, 1, 48_000, 24_000, state[0])
            return out

        return step

    def ours_phone_out() -> Callable[[int], object]:
        enc = g711.TelephonyEncoder("ulaw")
        return lambda i: enc.encode(model[i])

    def audioop_phone_out() -> Callable[[int], object]:
        state: list[object] = [None]

        def step(i: int) -> object:
            down, state[0] = audioop.ratecv(model_bytes[i], 2, 1, 24_000, 8_000, state[0])
            return audioop.lin2ulaw(down, 2)

        return step

    def ours_phone_in() -> Callable[[int], object]:
        dec = g711.TelephonyDecoder("ulaw")
        return lambda i: dec.decode(ulaw_frames[i])

    def audioop_phone_in() -> Callable[[int], object]:
        state: list[object] = [None]

        def step(i: int) -> object:
            lin = audioop.ulaw2lin(ulaw_frames[i], 2)
            up, state[0] = audioop.ratecv(lin, 2, 1, 8_000, 24_000, state[0])
            return up

        return step

    eight_k = [f.samples for f in tone(8_000, FRAMES / 50).chunks(20)]
    eight_k_bytes = [a.tobytes() for a in eight_k]

    def ours_ulaw() -> Callable[[int], object]:
        return lambda i: g711.encode_ulaw(eight_k[i])

    def audioop_ulaw() -> Callable[[int], object]:
        return lambda i: audioop.lin2ulaw(eight_k_bytes[i], 2)

    second = tone(8_000, 1.0).samples
    second_bytes = second.tobytes()

    def ours_ulaw_1s() -> Callable[[int], object]:
        return lambda i: g711.encode_ulaw(second)

    def audioop_ulaw_1s() -> Callable[[int], object]:
        return lambda i: audioop.lin2ulaw(second_bytes, 2)

    def ours_ulaw_dec() -> Callable[[int], object]:
        return lambda i: g711.decode_ulaw(ulaw_frames[i])

    def audioop_ulaw_dec() -> Callable[[int], object]:
        return lambda i: audioop.ulaw2lin(ulaw_frames[i], 2)

    def clock_feed() -> Callable[[int], object]:
        clock = PlaybackClock()

        def step(i: int) -> object:
            clock.received(f"item{i // 50}", 480)
            return clock.advance(480)

        return step

    def frame_view() -> Callable[[int], object]:
        return lambda i: PCMFrame.from_bytes(model_bytes[i])

    rows = [
        ("resample 48k→24k (mic)", ours_resample, "numpy.interp", naive_interp),
        ("resample 48k→24k (mic)", ours_resample, "audioop.ratecv", audioop_ratecv_mic),
        (
            "24k PCM → 8k μ-law (phone out)",
            ours_phone_out,
            "audioop ratecv+lin2ulaw",
            audioop_phone_out,
        ),
        (
            "8k μ-law → 24k PCM (phone in)",
            ours_phone_in,
            "audioop ulaw2lin+ratecv",
            audioop_phone_in,
        ),
        ("μ-law encode 160 samples", ours_ulaw, "audioop.lin2ulaw", audioop_ulaw),
        ("μ-law encode 1 s (8000 samples)", ours_ulaw_1s, "audioop.lin2ulaw", audioop_ulaw_1s),
        ("μ-law decode 160 bytes", ours_ulaw_dec, "audioop.ulaw2lin", audioop_ulaw_dec),
        ("PlaybackClock received+advance", clock_feed, "PCMFrame.from_bytes", frame_view),
    ]
    print(f"per 20 ms frame, best of {REPEATS} alternating runs x {FRAMES} frames")
    print(f"{'path':34} {'ours µs':>9} {'baseline':26} {'base µs':>9} {'ratio':>7}")
    for label, ours, base_label, base in rows:
        a, b = paired_us(ours, base)
        print(f"{label:34} {a:9.2f} {base_label:26} {b:9.2f} {a / b:7.2f}")
    budget = per_frame_us(ours_phone_out) + per_frame_us(ours_phone_in)
    print(
        f"full phone bridge per 20 ms both ways: {budget:.1f} µs = {budget / 200:.2f}% of one core"
    )


def alias_report() -> None:
    """What the cost buys: a 14 kHz tone at 48 kHz must vanish at 24 kHz (Nyquist 12 kHz)."""
    src = tone_at(14_000, 48_000)
    body = slice(1200, -1200)  # ignore the tone's abrupt start and end

    def level(x: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean((x[body].astype(np.float64) / 32768) ** 2)))
        return -np.inf if rms == 0 else 20 * np.log10(rms / (0.3 / np.sqrt(2)))

    r = Resampler(48_000)
    ours = PCMFrame.concat([r.process(src), r.flush()]).samples
    naive = np.interp(np.arange(24_000) * 2.0, np.arange(48_000), src.samples.astype(np.float32))
    ratecv, _ = audioop.ratecv(src.to_bytes(), 2, 1, 48_000, 24_000, None)
    print("alias left of a 14 kHz tone after 48k→24k (dB relative to the tone; lower is better)")
    print(f"  realtime_kit Resampler HQ {level(ours):8.1f} dB")
    print(f"  numpy.interp              {level(naive):8.1f} dB")
    print(f"  audioop.ratecv            {level(np.frombuffer(ratecv, np.int16)):8.1f} dB")


def tone_at(freq: float, rate: int) -> PCMFrame:
    t = np.arange(rate) / rate
    return PCMFrame.from_float(0.3 * np.sin(2 * np.pi * freq * t), rate)


if __name__ == "__main__":
    main()
    alias_report()
