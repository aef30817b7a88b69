"""Convert any PCM WAV file into what the Realtime API wants: 24 kHz mono PCM16 in 20 ms frames.

Runs offline, on asyncio or trio:

    python examples/audio_wav_to_api_format.py in.wav out.wav [--realtime] [--trio]

Without arguments it makes a 48 kHz stereo test tone in a temporary folder, converts it there
and removes the folder again. It streams the input as paced frames (like a microphone),
downmixes, resamples with the click-free streaming resampler, re-frames to 20 ms, and writes the
result through the async WAV sink.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio
import numpy as np

from realtime_kit.audio import (
    PCMFrame,
    Rechunker,
    Resampler,
    open_wav_sink,
    read_wav,
    wav_frames,
    write_wav,
)


async def convert(src: Path, dst: Path, *, realtime: bool) -> None:
    rate = read_wav(src).rate
    resampler = Resampler(rate)  # to 24 kHz
    rechunker = Rechunker(20)
    frames = 0
    async with open_wav_sink(dst, 24_000) as sink:
        async for frame in wav_frames(
            src, frame_ms=20 if rate % 50 == 0 else 40, mono=True, realtime=realtime
        ):
            for out in rechunker.push(resampler.process(frame)):
                await sink.send(out)
                frames += 1
        for out in rechunker.push(resampler.flush()):
            await sink.send(out)
            frames += 1
        tail = rechunker.flush()
        if tail is not None:
            await sink.send(tail)
    latency = resampler.latency_ms
    print(f"{src} ({rate} Hz) -> {dst}: {frames} full 20 ms frames, latency {latency:.1f} ms")
    out = read_wav(dst)
    print(f"wrote {out.duration_ms:.0f} ms at {out.rate} Hz, {out.channels} channel(s), PCM16")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    backend = "trio" if "--trio" in sys.argv else "asyncio"
    realtime = "--realtime" in sys.argv
    if len(args) >= 2:
        src, dst = Path(args[0]), Path(args[1])
        anyio.run(lambda: convert(src, dst, realtime=realtime), backend=backend)
        return
    with tempfile.TemporaryDirectory(prefix="realtime_kit-example-") as folder:
        src, dst = Path(folder) / "tone48k.wav", Path(folder) / "tone24k.wav"
        t = np.arange(48_000) / 48_000
        tone = 0.3 * np.sin(2 * np.pi * 440 * t)
        write_wav(src, PCMFrame.from_float(np.stack([tone, tone], axis=1), 48_000, 2))
        anyio.run(lambda: convert(src, dst, realtime=realtime), backend=backend)
    print("(a demo tone: the temporary folder is removed again)")


if __name__ == "__main__":
    main()
