"""realtime_kit.audio: PCM16 frames, streaming resampling, G.711, WAV streams, the playback clock,
devices and Twilio Media Streams building blocks.

Everything here runs on numpy and libsoxr (core dependencies). Device I/O needs the ``audio``
extra (sounddevice); it is imported only when a :class:`Microphone` or :class:`Speaker` is
built without a backend of your own.

This package imports numpy, soxr, anyio, pydantic, pybase64 and :mod:`realtime_kit.errors`;
nothing above it in the layer stack.
"""

from __future__ import annotations

from realtime_kit.audio import g711, twilio
from realtime_kit.audio.clock import ClockSource, ItemKey, PlaybackClock, PlaybackPosition
from realtime_kit.audio.devices import (
    AudioBackend,
    AudioStream,
    Microphone,
    SoundDeviceBackend,
    Speaker,
)
from realtime_kit.audio.frame import (
    API_RATE,
    Int16Array,
    PCMFrame,
    Rechunker,
    ms_to_samples,
    samples_to_ms,
)
from realtime_kit.audio.g711 import (
    TelephonyDecoder,
    TelephonyEncoder,
    decode_alaw,
    decode_ulaw,
    encode_alaw,
    encode_ulaw,
)
from realtime_kit.audio.resample import (
    COMMON_RATES,
    Quality,
    Resampler,
    measure_latency_ms,
    resample,
)
from realtime_kit.audio.twilio import TwilioPlayback, parse_twilio_message
from realtime_kit.audio.wav import WavSink, open_wav_sink, paced, read_wav, wav_frames, write_wav

__all__ = [
    "API_RATE",
    "COMMON_RATES",
    "AudioBackend",
    "AudioStream",
    "ClockSource",
    "Int16Array",
    "ItemKey",
    "Microphone",
    "PCMFrame",
    "PlaybackClock",
    "PlaybackPosition",
    "Quality",
    "Rechunker",
    "Resampler",
    "SoundDeviceBackend",
    "Speaker",
    "TelephonyDecoder",
    "TelephonyEncoder",
    "TwilioPlayback",
    "WavSink",
    "decode_alaw",
    "decode_ulaw",
    "encode_alaw",
    "encode_ulaw",
    "g711",
    "measure_latency_ms",
    "ms_to_samples",
    "open_wav_sink",
    "paced",
    "parse_twilio_message",
    "read_wav",
    "resample",
    "samples_to_ms",
    "twilio",
    "wav_frames",
    "write_wav",
]
