"""The audio side of the WebRTC transport: the outbound track and the inbound reader.

:class:`OutboundTrack` is the aiortc track the peer connection sends: the app's frames, at
any rate, are mixed to mono and resampled once to 48 kHz (one streaming resampler per input
rate, so 20 ms pieces join without clicks), and played out in 20 ms frames at real time; when
the app has nothing queued the track sends silence, as a microphone would. aiortc encodes Opus.

:class:`InboundAudio` reads the remote track: each decoded frame (Opus: 48 kHz stereo) is mixed
to mono and resampled once to the app's rate, counted (``delivered_samples``, the PlaybackClock
feed), and queued for ``audio_frames()``.

Both conversions use FFmpeg's streaming resampler (PyAV's ``AudioResampler``), which hands out
audio at once: a filter that holds back 20-40 ms (libsoxr's high quality) would add that much
to every turn's latency, both ways. Both run on asyncio (aiortc's loop). Imports: aiortc, av,
numpy, the standard library, ``audio`` and ``errors``.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, AudioResampler

from realtime_kit.audio.frame import PCMFrame
from realtime_kit.errors import AudioError, ConnectionClosedError, LocalProtocolError

__all__ = ["RTP_RATE", "InboundAudio", "OutboundTrack"]

_log = logging.getLogger("realtime_kit.transports.webrtc")

RTP_RATE = 48_000
"""Opus runs at 48 kHz; both tracks speak that rate to aiortc."""

_FRAME = 960  # 20 ms at 48 kHz
_TIME_BASE = fractions.Fraction(1, RTP_RATE)
# When the loop was held up for longer than this, restart the pacing clock instead of
# sending the backlog in a burst (the samples still go out, in order, at real time).
_RESYNC_S = 0.5


class _Converter:
    """One stream's mono PCM16 at ``rate``: FFmpeg's resampler, state kept between frames."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._resampler = AudioResampler(format="s16", layout="mono", rate=rate)

    def pcm(self, frame: AudioFrame) -> np.ndarray:
        try:
            out = self._resampler.resample(frame)
        except (ValueError, OSError) as exc:  # av.FFmpegError derives from both
            raise AudioError(f"audio could not be converted: {exc}") from exc
        if not out:
            return np.zeros(0, np.int16)
        parts = [f.to_ndarray().reshape(-1) for f in out]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _av_frame(pcm: PCMFrame) -> AudioFrame:
    if pcm.channels > 2:
        pcm = pcm.to_mono()
    layout = "mono" if pcm.channels == 1 else "stereo"
    frame = AudioFrame.from_ndarray(pcm.samples.reshape(1, -1), format="s16", layout=layout)
    frame.sample_rate = pcm.rate
    return frame


class OutboundTrack(MediaStreamTrack):
    """The app's audio, played out in real time to the peer (silence when none is queued).

    Args:
        capacity_ms: queued audio beyond which :meth:`push` waits.
    """

    kind = "audio"

    def __init__(self, capacity_ms: int) -> None:
        super().__init__()
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0  # samples at 48 kHz
        self._capacity = capacity_ms * RTP_RATE // 1000
        self._converters: dict[int, _Converter] = {}
        self._room = asyncio.Event()
        self._room.set()
        self._start: float | None = None
        self._pts = 0
        self.audio_samples = 0
        """Samples of the app's audio sent so far (48 kHz)."""
        self.silence_samples = 0
        """Samples of filler silence sent so far (48 kHz): the app had nothing queued."""

    @property
    def queued_ms(self) -> float:
        """Audio queued and not yet sent."""
        return self._queued * 1000 / RTP_RATE

    async def push(self, frame: PCMFrame) -> None:
        """Queue ``frame`` (any rate, any channel count); waits while the queue is full."""
        if self.readyState != "live":
            raise ConnectionClosedError(None, "the outbound audio track has ended")
        if frame.num_samples == 0:
            return
        converter = self._converters.get(frame.rate)
        if converter is None:
            converter = self._converters[frame.rate] = _Converter(RTP_RATE)
        samples = converter.pcm(_av_frame(frame))
        if samples.size:
            self._queue.append(samples)
            self._queued += samples.size
        while self._queued > self._capacity and self.readyState == "live":
            self._room.clear()
            await self._room.wait()

    def clear(self) -> float:
        """Drop queued audio (the app's own barge-in); returns the ms dropped."""
        dropped = self.queued_ms
        self._queue.clear()
        self._queued = 0
        self._converters.clear()  # fresh filter state for what comes next
        self._room.set()
        return dropped

    def _take(self) -> np.ndarray:
        out = np.zeros(_FRAME, np.int16)
        filled = 0
        while filled < _FRAME and self._queue:
            head = self._queue[0]
            n = min(_FRAME - filled, head.size)
            out[filled : filled + n] = head[:n]
            filled += n
            if n == head.size:
                self._queue.popleft()
            else:
                self._queue[0] = head[n:]
        self._queued -= filled
        self.audio_samples += filled
        self.silence_samples += _FRAME - filled
        if self._queued <= self._capacity:
            self._room.set()
        return out

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._start is None:
            self._start = now
        else:
            due = self._start + self._pts / RTP_RATE
            if due - now > 0:
                await asyncio.sleep(due - now)
            elif now - due > _RESYNC_S:
                self._start = now - self._pts / RTP_RATE
        frame = AudioFrame.from_ndarray(self._take().reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RTP_RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        self._pts += _FRAME
        return frame

    def stop(self) -> None:
        super().stop()
        self._room.set()  # a waiting push sees the end


_END = object()


class InboundAudio:
    """Reads the remote audio track into mono PCM frames at ``rate``.

    Args:
        rate: the app's sample rate.
        capacity_ms: audio kept while nobody reads; the oldest beyond it is dropped (counted).
        on_end: called once when the track ends (``None``: a normal end, else why).
    """

    def __init__(self, rate: int, capacity_ms: int, on_end: Callable[[str], None]) -> None:
        self.rate = rate
        self._capacity = capacity_ms * rate // 1000
        self._converter = _Converter(rate)
        self._frames: deque[PCMFrame] = deque()
        self._buffered = 0
        self._wakeup = asyncio.Event()
        self._ended = False
        self._reading = False
        self._on_end = on_end
        self.delivered_samples = 0
        """Samples (at ``rate``) the track has delivered so far."""
        self.dropped_samples = 0
        """Samples (at ``rate``) dropped because nobody read them in time."""
        self.last_frame_at: float | None = None
        """``loop.time()`` of the newest frame."""

    async def run(self, track: MediaStreamTrack) -> None:
        """Read ``track`` until it ends (run it as a task)."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    break
                if not isinstance(frame, AudioFrame):
                    continue
                self.last_frame_at = loop.time()
                self._take(self._convert(frame))
        finally:
            self._finish()
            self._on_end("the inbound audio track ended")

    def _convert(self, frame: AudioFrame) -> PCMFrame:
        return PCMFrame(self._converter.pcm(frame), self.rate, 1)

    def _take(self, pcm: PCMFrame) -> None:
        if pcm.num_samples == 0:
            return
        self.delivered_samples += pcm.num_samples
        self._frames.append(pcm)
        self._buffered += pcm.num_samples
        while self._buffered > self._capacity and len(self._frames) > 1:
            old = self._frames.popleft()
            self._buffered -= old.num_samples
            if self.dropped_samples == 0:
                _log.warning(
                    "inbound WebRTC audio is not being read: dropping the oldest (read "
                    "conn.audio_frames(), or raise WebRTCConfig.inbound_buffer_ms)"
                )
            self.dropped_samples += old.num_samples
        self._wakeup.set()

    def _finish(self) -> None:
        self._ended = True
        self._wakeup.set()

    def close(self) -> None:
        """No more audio will come (the connection is over)."""
        self._finish()

    async def frames(self) -> AsyncIterator[PCMFrame]:
        """The queued and future frames, in order, until the track ends."""
        if self._reading:
            raise LocalProtocolError("read audio_frames()", "another task is reading them")
        self._reading = True
        try:
            while True:
                while self._frames:
                    frame = self._frames.popleft()
                    self._buffered -= frame.num_samples
                    yield frame
                if self._ended:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
        finally:
            self._reading = False
