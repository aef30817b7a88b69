"""Microphone and speaker as async objects, on sounddevice/PortAudio (the ``audio`` extra).

:class:`Microphone` is an async iterator of PCM16 frames (24 kHz mono by default, resampled
from whatever the device runs at). :class:`Speaker` is an async sink: frames tagged with an item
are queued, a PortAudio callback plays them, and the callback feeds a
:class:`~realtime_kit.audio.clock.PlaybackClock` with exactly what it played, so barge-in
truncation reads real playback and not a guess.

Both talk to an :class:`AudioBackend`; the default one imports sounddevice lazily and raises
:class:`~realtime_kit.errors.MissingExtraError` when the extra is missing and
:class:`~realtime_kit.errors.AudioDeviceError` when PortAudio or the device is. Tests pass a fake
backend and need no sound card.

Imports: numpy, anyio, the standard library, :mod:`realtime_kit.audio` siblings and
:mod:`realtime_kit.errors`; sounddevice only inside :class:`SoundDeviceBackend`.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import anyio
import numpy as np

from realtime_kit.audio.clock import PlaybackClock, PlaybackPosition
from realtime_kit.audio.frame import API_RATE, Int16Array, PCMFrame, Rechunker
from realtime_kit.audio.resample import Quality, Resampler
from realtime_kit.errors import AudioDeviceError, AudioError, MissingExtraError

__all__ = [
    "AudioBackend",
    "AudioStream",
    "InputCallback",
    "Microphone",
    "OutputCallback",
    "SoundDeviceBackend",
    "Speaker",
]

InputCallback = Callable[[Int16Array, bool], None]
"""Called from the audio thread with ``(samples (frames, channels), overflowed)``."""

OutputCallback = Callable[[Int16Array, bool], None]
"""Called from the audio thread with ``(buffer to fill (frames, channels), underflowed)``."""


class AudioStream(Protocol):
    """An open device stream."""

    def start(self) -> None:
        """Begin calling the callback."""

    def stop(self) -> None:
        """Stop calling the callback (audio already handed to the device plays out)."""

    def close(self) -> None:
        """Release the device."""


class AudioBackend(Protocol):
    """Opens device streams. Callbacks run on a foreign thread and must not block."""

    def default_rate(self, device: int | str | None, kind: Literal["input", "output"]) -> int:
        """The device's native sample rate."""

    def open_input(
        self,
        *,
        device: int | str | None,
        rate: int,
        channels: int,
        blocksize: int,
        callback: InputCallback,
    ) -> AudioStream:
        """Open (not start) a capture stream of int16 samples."""

    def open_output(
        self,
        *,
        device: int | str | None,
        rate: int,
        channels: int,
        blocksize: int,
        callback: OutputCallback,
    ) -> AudioStream:
        """Open (not start) a playback stream of int16 samples."""


def _load_sounddevice() -> Any:
    try:
        return importlib.import_module("sounddevice")
    except ImportError as exc:
        raise MissingExtraError("audio", "sounddevice") from exc
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise AudioDeviceError(
            f"PortAudio is not available ({exc}); install it, e.g. apt-get install libportaudio2"
        ) from exc


class SoundDeviceBackend:
    """The real backend: sounddevice over PortAudio. Importing it happens on construction."""

    def __init__(self) -> None:
        self._sd = _load_sounddevice()

    def _wrap(self, action: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (self._sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(f"cannot {action}: {exc}") from exc

    def default_rate(self, device: int | str | None, kind: Literal["input", "output"]) -> int:
        info = self._wrap(f"query the {kind} device", lambda: self._sd.query_devices(device, kind))
        return int(info["default_samplerate"])

    def open_input(
        self,
        *,
        device: int | str | None,
        rate: int,
        channels: int,
        blocksize: int,
        callback: InputCallback,
    ) -> AudioStream:
        def _cb(indata: Any, frames: int, time: Any, status: Any) -> None:
            callback(indata, bool(status.input_overflow))

        return self._open("input", self._sd.InputStream, device, rate, channels, blocksize, _cb)

    def open_output(
        self,
        *,
        device: int | str | None,
        rate: int,
        channels: int,
        blocksize: int,
        callback: OutputCallback,
    ) -> AudioStream:
        def _cb(outdata: Any, frames: int, time: Any, status: Any) -> None:
            callback(outdata, bool(status.output_underflow))

        return self._open("output", self._sd.OutputStream, device, rate, channels, blocksize, _cb)

    def _open(  # noqa: PLR0917 - private, called twice just above
        self,
        direction: str,
        factory: Any,
        device: int | str | None,
        rate: int,
        channels: int,
        blocksize: int,
        callback: Any,
    ) -> AudioStream:
        return _SDStream(
            self._wrap(
                f"open the {direction} device",
                lambda: factory(
                    samplerate=rate,
                    blocksize=blocksize,
                    device=device,
                    channels=channels,
                    dtype="int16",
                    callback=callback,
                ),
            ),
            self,
        )


class _SDStream:
    def __init__(self, stream: Any, backend: SoundDeviceBackend) -> None:
        self._stream = stream
        self._backend = backend

    def start(self) -> None:
        self._backend._wrap("start the stream", self._stream.start)

    def stop(self) -> None:
        self._backend._wrap("stop the stream", self._stream.stop)

    def close(self) -> None:
        self._backend._wrap("close the stream", self._stream.close)


def _poll_interval(frame_ms: float) -> float:
    # The device thread cannot wake the event loop without blocking itself, so the loop polls
    # a few times per frame: at most a quarter frame of extra delay, negligible CPU.
    return max(0.002, frame_ms / 4000)


class _DeviceStream(ABC):
    """What Microphone and Speaker share: one device stream, opened by ``start``, released by
    ``aclose``, and the ``async with`` form of the two."""

    _stream: AudioStream | None

    @abstractmethod
    async def start(self) -> None:
        """Open and start the device stream."""

    @abstractmethod
    async def aclose(self) -> None:
        """Stop and release the device (idempotent)."""

    def _release_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Microphone(_DeviceStream):
    """Capture audio as an async iterator of PCM16 frames of ``frame_ms`` milliseconds.

    Use it as ``async with Microphone() as mic: async for frame in mic: ...``. The device runs
    at its native rate (or ``device_rate``); frames come out at ``rate`` and mono when
    ``mono`` (the default), resampled with a streaming soxr resampler.

    If the consumer falls behind by more than ``max_buffer_ms``, the next read raises
    :class:`~realtime_kit.errors.AudioError` (``on_overrun="raise"``, the default), or the oldest
    audio is dropped and counted in :attr:`dropped_ms` (``on_overrun="drop_oldest"``).
    """

    def __init__(
        self,
        *,
        rate: int = API_RATE,
        frame_ms: float = 20,
        device: int | str | None = None,
        device_rate: int | None = None,
        device_channels: int = 1,
        mono: bool = True,
        max_buffer_ms: float = 2000,
        on_overrun: Literal["raise", "drop_oldest"] = "raise",
        quality: Quality = "HQ",
        backend: AudioBackend | None = None,
    ) -> None:
        if on_overrun not in ("raise", "drop_oldest"):
            raise AudioError(f"on_overrun must be 'raise' or 'drop_oldest', got {on_overrun!r}")
        self._backend = backend if backend is not None else SoundDeviceBackend()
        self._rate = rate
        self._frame_ms = frame_ms
        self._device = device
        self._device_rate = device_rate or self._backend.default_rate(device, "input")
        self._device_channels = device_channels
        self._out_channels = 1 if mono else device_channels
        self._rechunker = Rechunker(frame_ms, rate, self._out_channels)
        self._resampler = Resampler(
            self._device_rate, rate, channels=self._out_channels, quality=quality
        )
        self._max_blocks_ms = max_buffer_ms
        self._on_overrun = on_overrun
        self._blocks: deque[Int16Array] = deque()
        self._buffered = 0  # device samples waiting in _blocks
        self._lock = threading.Lock()
        self._overrun = False
        self._device_overflows = 0
        self._dropped = 0
        self._ready: deque[PCMFrame] = deque()
        self._stream: AudioStream | None = None
        self._closed = False

    @property
    def device_rate(self) -> int:
        """The rate the device captures at."""
        return self._device_rate

    @property
    def latency_ms(self) -> float:
        """Worst-case resampler hold-back added between the device and the frames, in ms."""
        return self._resampler.latency_ms

    @property
    def dropped_ms(self) -> float:
        """Milliseconds of captured audio dropped because the consumer fell behind."""
        return self._dropped * 1000 / self._device_rate

    @property
    def device_overflows(self) -> int:
        """How many times the device itself reported lost input (PortAudio overflow)."""
        return self._device_overflows

    def _callback(self, samples: Int16Array, overflowed: bool) -> None:
        block = np.array(samples, dtype=np.int16, copy=True)  # PortAudio reuses its buffer
        limit = int(self._max_blocks_ms * self._device_rate / 1000)
        with self._lock:
            if overflowed:
                self._device_overflows += 1
            self._blocks.append(block)
            self._buffered += block.shape[0]
            while self._buffered > limit and self._blocks:
                if self._on_overrun == "raise":
                    self._overrun = True
                    break
                old = self._blocks.popleft()
                self._buffered -= old.shape[0]
                self._dropped += old.shape[0]

    async def start(self) -> None:
        """Open and start the device."""
        if self._stream is not None:
            return
        blocksize = max(1, int(self._device_rate * self._frame_ms / 1000))
        self._stream = self._backend.open_input(
            device=self._device,
            rate=self._device_rate,
            channels=self._device_channels,
            blocksize=blocksize,
            callback=self._callback,
        )
        self._stream.start()

    async def aclose(self) -> None:
        """Stop and release the device (idempotent); iteration ends, unread audio is discarded."""
        self._closed = True
        self._ready.clear()
        with self._lock:
            self._blocks.clear()
            self._buffered = 0
        self._release_stream()

    def __aiter__(self) -> Microphone:
        return self

    async def __anext__(self) -> PCMFrame:
        poll = _poll_interval(self._frame_ms)
        while not self._ready:
            if self._closed:
                raise StopAsyncIteration
            if self._stream is None:
                raise AudioError("Microphone is not started; use 'async with Microphone()'")
            with self._lock:
                if self._overrun:
                    self._overrun = False
                    raise AudioError(
                        f"microphone overrun: more than {self._max_blocks_ms} ms captured and "
                        "not read; read faster or pass on_overrun='drop_oldest'"
                    )
                blocks = list(self._blocks)
                self._blocks.clear()
                self._buffered = 0
            for block in blocks:
                frame = PCMFrame(block, self._device_rate, self._device_channels)
                if self._out_channels == 1:
                    frame = frame.to_mono()
                self._ready.extend(self._rechunker.push(self._resampler.process(frame)))
            if not self._ready:
                await anyio.sleep(poll)
        return self._ready.popleft()


class Speaker(_DeviceStream):
    """Play PCM16 frames on an output device and report real playback to a PlaybackClock.

    ``await speaker.play(frame, item_id)`` queues audio (waiting while more than
    ``max_buffer_ms`` is queued); the device callback plays it and calls
    :meth:`PlaybackClock.advance` with what it actually played, never with the silence it
    inserts on underrun. :meth:`flush` is barge-in: the queue is dropped and the clock reports
    what each item lost. Use as ``async with Speaker(clock=clock) as speaker: ...``.

    Audio counts as heard when the callback hands it to PortAudio. The device still has its
    output latency to go, but a flush never recalls what PortAudio holds, so that audio will be
    heard too. Reporting it any later would make a truncate cut words the listener did hear.

    Frames must be mono at ``rate`` (24 kHz by default); they are played on every one of the
    device's ``device_channels``. The clock counts at ``rate``; audio is resampled per item to
    the device rate, so an item's tail is never attributed to the next.
    """

    def __init__(
        self,
        *,
        clock: PlaybackClock | None = None,
        rate: int = API_RATE,
        device: int | str | None = None,
        device_rate: int | None = None,
        device_channels: int = 1,
        block_ms: float = 10,
        max_buffer_ms: float = 500,
        quality: Quality = "HQ",
        backend: AudioBackend | None = None,
    ) -> None:
        self._backend = backend if backend is not None else SoundDeviceBackend()
        self._clock = clock if clock is not None else PlaybackClock(rate, source="device")
        if self._clock.rate != rate:
            raise AudioError(f"clock counts at {self._clock.rate} Hz but the speaker takes {rate}")
        self._rate = rate
        self._device = device
        self._device_rate = device_rate or self._backend.default_rate(device, "output")
        if device_channels < 1:
            raise AudioError(f"device_channels must be at least 1, got {device_channels}")
        self._device_channels = device_channels
        self._block_ms = block_ms
        self._max_buffer_ms = max_buffer_ms
        self._quality: Quality = quality
        self._resampler = Resampler(rate, self._device_rate, quality=quality)
        self._current: tuple[str, int] | None = None
        # Device-rate blocks in play order: (item key, samples, last block of the item?).
        self._queue: deque[tuple[tuple[str, int], Int16Array, bool]] = deque()
        self._queued_device = 0
        self._head_offset = 0  # device samples of the head block already played
        # Per item: [clock samples received, device samples played, clock samples reported].
        self._acct: dict[tuple[str, int], list[int]] = {}
        self._lock = threading.Lock()
        self._underflows = 0
        self._stream: AudioStream | None = None

    @property
    def clock(self) -> PlaybackClock:
        """The clock this speaker feeds."""
        return self._clock

    @property
    def device_rate(self) -> int:
        """The rate the device plays at."""
        return self._device_rate

    @property
    def queued_ms(self) -> float:
        """Milliseconds queued and not yet handed to the device."""
        with self._lock:
            return (self._queued_device - self._head_offset) * 1000 / self._device_rate

    @property
    def underflows(self) -> int:
        """Device callbacks that ran out of audio mid-item and filled with silence."""
        return self._underflows

    async def start(self) -> None:
        """Open and start the device."""
        if self._stream is not None:
            return
        self._stream = self._backend.open_output(
            device=self._device,
            rate=self._device_rate,
            channels=self._device_channels,
            blocksize=max(1, int(self._device_rate * self._block_ms / 1000)),
            callback=self._callback,
        )
        self._stream.start()

    async def aclose(self) -> None:
        """Stop and release the device (idempotent). Queued audio is not played."""
        self._release_stream()

    async def play(self, frame: PCMFrame, item_id: str, *, content_index: int = 0) -> None:
        """Queue one frame of an item's audio (mono, at ``rate``)."""
        if frame.rate != self._rate or frame.channels != 1:
            raise AudioError(f"speaker takes mono {self._rate} Hz frames, got {frame!r}")
        key = (item_id, content_index)
        poll = _poll_interval(self._block_ms)
        while self.queued_ms > self._max_buffer_ms:
            if self._stream is None:
                raise AudioError("Speaker is not started; use 'async with Speaker()'")
            await anyio.sleep(poll)
        if self._current is not None and self._current != key:
            self._close_item()
        self._current = key
        # No await from here on: a flush cannot fall between the clock and the queue update.
        self._clock.received(item_id, frame, content_index=content_index)
        converted = self._resampler.process(frame).samples
        with self._lock:
            self._acct.setdefault(key, [0, 0, 0])[0] += frame.num_samples
            if converted.shape[0]:
                self._queue.append((key, converted, False))
                self._queued_device += converted.shape[0]

    def end_item(self, item_id: str, *, content_index: int = 0) -> None:
        """No more audio for this item: release the resampler's tail and tell the clock."""
        if self._current == (item_id, content_index):
            self._close_item()
        self._clock.end_item(item_id, content_index=content_index)

    def flush(self) -> list[PlaybackPosition]:
        """Barge-in: drop queued audio and report, per item, what was heard."""
        with self._lock:
            self._queue.clear()
            self._queued_device = 0
            self._head_offset = 0
            self._acct.clear()
            self._resampler.reset()
            self._current = None
            return self._clock.flush()

    async def drain(self) -> None:
        """Wait until everything queued has been handed to the device."""
        poll = _poll_interval(self._block_ms)
        while self.queued_ms > 0 or (self._queue and self._stream is not None):
            if self._stream is None:
                raise AudioError("Speaker is not started; queued audio cannot drain")
            await anyio.sleep(poll)

    def _close_item(self) -> None:
        assert self._current is not None
        tail = self._resampler.flush().samples
        with self._lock:
            # The marker block (even empty) tells the callback the item's count is now exact.
            self._queue.append((self._current, tail, True))
            self._queued_device += tail.shape[0]
        self._current = None

    def _callback(self, out: Int16Array, underflowed: bool) -> None:
        # Mono audio is rendered into the first column, then copied to the others.
        buf = out[:, 0] if out.ndim == 2 and out.shape[1] > 1 else out.reshape(-1)
        need = buf.shape[0]
        filled = 0
        with self._lock:
            played_clock = 0
            while self._queue and (filled < need or self._queue[0][1].shape[0] == 0):
                key, block, last = self._queue[0]
                take = min(block.shape[0] - self._head_offset, need - filled)
                buf[filled : filled + take] = block[self._head_offset : self._head_offset + take]
                filled += take
                self._head_offset += take
                finished = self._head_offset == block.shape[0]
                acct = self._acct.get(key)
                if acct is not None:
                    acct[1] += take
                    if finished and last:
                        target = acct[0]
                        del self._acct[key]
                    else:
                        target = min(acct[0], acct[1] * self._rate // self._device_rate)
                    played_clock += target - acct[2]
                    acct[2] = target
                if finished:
                    self._queue.popleft()
                    self._queued_device -= block.shape[0]
                    self._head_offset = 0
            if filled < need:
                buf[filled:] = 0
                # An idle speaker is not starving; one that ran dry mid-item is.
                if filled or self._current is not None:
                    self._underflows += 1
            if out.ndim == 2 and out.shape[1] > 1:
                out[:, 1:] = out[:, :1]
            if played_clock > 0:
                self._clock.advance(played_clock)
