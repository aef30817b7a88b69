"""WAV files: read and write PCM16 (stdlib :mod:`wave`), stream a file as paced async frames,
and write an async stream of frames to a file.

:func:`read_wav` accepts 8-, 16-, 24- and 32-bit integer PCM and returns PCM16 (wider samples
keep their top 16 bits; 8-bit is unsigned by the WAV rules). :func:`wav_frames` yields fixed-size
frames either as fast as the consumer takes them or paced to real time, the way a microphone
would deliver them; :class:`WavSink` writes frames as they come, off the event loop.

Works on asyncio and trio (anyio). Imports: numpy, anyio, the standard library,
:mod:`realtime_kit.audio.frame`, :mod:`realtime_kit.errors`.
"""

from __future__ import annotations

import os
import wave
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from types import TracebackType

import anyio
import numpy as np

from realtime_kit.audio.frame import PCMFrame, ms_to_samples
from realtime_kit.errors import AudioError

__all__ = ["WavSink", "open_wav_sink", "paced", "read_wav", "wav_frames", "write_wav"]

PathLike = str | os.PathLike[str]


def _to_pcm16(raw: bytes, width: int) -> np.ndarray:
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.int16, copy=False)
    if width == 1:
        return ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        # Keep the two most significant bytes of each little-endian 24-bit sample.
        return (b[:, 1].astype(np.uint16) | (b[:, 2].astype(np.uint16) << 8)).view(np.int16)
    if width == 4:
        return (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    raise AudioError(f"unsupported WAV sample width: {width} bytes")


def read_wav(path: PathLike) -> PCMFrame:
    """Read a whole PCM WAV file as one PCM16 frame (channels kept)."""
    try:
        with wave.open(os.fspath(path), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except wave.Error as exc:
        raise AudioError(
            f"{os.fspath(path)!r} is not a PCM WAV file this reader supports: {exc}"
        ) from exc
    except EOFError as exc:
        raise AudioError(f"{os.fspath(path)!r} is truncated") from exc
    samples = _to_pcm16(raw[: len(raw) - len(raw) % (width * channels)], width)
    return PCMFrame(samples, rate, channels)


def write_wav(path: PathLike, audio: PCMFrame | Iterable[PCMFrame]) -> None:
    """Write PCM16 audio (one frame, or frames of one format) to a WAV file."""
    frames = [audio] if isinstance(audio, PCMFrame) else list(audio)
    if not frames:
        raise AudioError("nothing to write: no frames given")
    clip = PCMFrame.concat(frames)
    with wave.open(os.fspath(path), "wb") as w:
        w.setnchannels(clip.channels)
        w.setsampwidth(2)
        w.setframerate(clip.rate)
        w.writeframes(clip.to_bytes())


async def paced(
    frames: Iterable[PCMFrame] | AsyncIterable[PCMFrame], *, realtime: bool = True
) -> AsyncIterator[PCMFrame]:
    """Yield frames, each no earlier than its start time in the stream when ``realtime``.

    Deadlines are measured from the first frame on the event loop's clock, so a slow consumer
    does not make the stream drift; a consumer that falls behind gets the late frames at once.
    Without ``realtime`` frames come as fast as they are taken (still yielding to the loop).
    """
    start = anyio.current_time()
    elapsed_ms = 0.0
    if isinstance(frames, AsyncIterable):
        async for frame in frames:
            if realtime:
                await sleep_until(start + elapsed_ms / 1000)
            else:
                await anyio.lowlevel.checkpoint()
            elapsed_ms += frame.duration_ms
            yield frame
        return
    for frame in frames:
        if realtime:
            await sleep_until(start + elapsed_ms / 1000)
        else:
            await anyio.lowlevel.checkpoint()
        elapsed_ms += frame.duration_ms
        yield frame


async def sleep_until(deadline: float) -> None:
    """Sleep until ``deadline`` on the loop clock (module-level so tests can observe pacing)."""
    await anyio.sleep_until(deadline)


async def wav_frames(
    path: PathLike,
    *,
    frame_ms: float = 20,
    realtime: bool = True,
    mono: bool = False,
    pad_last: bool = False,
) -> AsyncIterator[PCMFrame]:
    """Stream a WAV file as frames of ``frame_ms`` milliseconds.

    Args:
        path: the file.
        frame_ms: frame duration; must be a whole number of samples at the file's rate.
        realtime: pace frames to real time (like a microphone); False for as fast as possible.
        mono: downmix to one channel.
        pad_last: pad the final short frame with silence instead of yielding it short.
    """
    clip = await anyio.to_thread.run_sync(read_wav, path)
    if mono:
        clip = clip.to_mono()
    ms_to_samples(frame_ms, clip.rate)  # validate before the first frame is yielded
    chunks = clip.chunks(frame_ms, remainder="pad" if pad_last else "keep")
    async for frame in paced(chunks, realtime=realtime):
        yield frame


class WavSink:
    """An async sink writing PCM16 frames to a WAV file as they arrive.

    Open it with :func:`open_wav_sink` (``async with``). Writes run in a worker thread, batched
    to about ``flush_ms`` of audio, so the event loop never waits on the disk. The header is
    finalised on close, even when the writer is cancelled.
    """

    def __init__(self, path: PathLike, rate: int, channels: int = 1, *, flush_ms: float = 200):
        self._path = os.fspath(path)
        self._rate = rate
        self._channels = channels
        self._flush_samples = max(1, int(flush_ms * rate / 1000))
        self._pending: list[bytes] = []
        self._pending_samples = 0
        self._written = 0
        self._wave: wave.Wave_write | None = None
        self._closed = False

    @property
    def written_ms(self) -> float:
        """Milliseconds of audio accepted so far (written or about to be)."""
        return (self._written + self._pending_samples) * 1000 / self._rate

    async def open(self) -> None:
        """Create the file and write its header."""

        def _open() -> wave.Wave_write:
            w = wave.open(self._path, "wb")  # noqa: SIM115  # closed by aclose()
            w.setnchannels(self._channels)
            w.setsampwidth(2)
            w.setframerate(self._rate)
            return w

        try:
            self._wave = await anyio.to_thread.run_sync(_open)
        except OSError as exc:
            raise AudioError(f"cannot open {self._path!r} for writing: {exc}") from exc

    async def send(self, frame: PCMFrame) -> None:
        """Append one frame (its format must match the sink's)."""
        if self._wave is None or self._closed:
            raise AudioError("WavSink is not open")
        if frame.rate != self._rate or frame.channels != self._channels:
            raise AudioError(
                f"sink writes {self._rate} Hz/{self._channels} ch, got "
                f"{frame.rate} Hz/{frame.channels} ch"
            )
        self._pending.append(frame.to_bytes())
        self._pending_samples += frame.num_samples
        if self._pending_samples >= self._flush_samples:
            await self._write_pending()

    async def _write_pending(self) -> None:
        if not self._pending or self._wave is None:
            return
        data = b"".join(self._pending)
        count = self._pending_samples
        self._pending, self._pending_samples = [], 0
        await anyio.to_thread.run_sync(self._wave.writeframesraw, data)
        self._written += count

    async def aclose(self) -> None:
        """Write what is buffered and finalise the header (idempotent)."""
        if self._closed or self._wave is None:
            self._closed = True
            return
        self._closed = True
        w = self._wave
        with anyio.CancelScope(shield=True):
            data = b"".join(self._pending)
            self._written += self._pending_samples
            self._pending, self._pending_samples = [], 0

            def _finish() -> None:
                if data:
                    w.writeframesraw(data)
                w.close()

            await anyio.to_thread.run_sync(_finish)

    async def __aenter__(self) -> WavSink:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def open_wav_sink(
    path: PathLike, rate: int, channels: int = 1, *, flush_ms: float = 200
) -> WavSink:
    """Return a :class:`WavSink`; use it as ``async with open_wav_sink(...) as sink:``."""
    return WavSink(path, rate, channels, flush_ms=flush_ms)
