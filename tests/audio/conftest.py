"""Fixtures for the audio tests: a reference G.711 codec and a fake device backend.

The anyio backends (asyncio and trio) come from the root conftest.
"""

from __future__ import annotations

import threading
import warnings
from types import ModuleType

import numpy as np
import pytest

from realtime_kit.audio.devices import InputCallback, OutputCallback


@pytest.fixture(scope="session")
def audioop() -> ModuleType:
    # stdlib on 3.11/3.12 (deprecated, so it warns on import), audioop-lts on 3.13+.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop as module
    return module


class FakeStream:
    def __init__(self, kind: str, rate: int, channels: int, blocksize: int, callback: object):
        self.kind = kind
        self.rate = rate
        self.channels = channels
        self.blocksize = blocksize
        self.callback = callback
        self.started = False
        self.closed = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True

    def push(self, samples: np.ndarray, overflowed: bool = False) -> None:
        """Deliver captured audio the way PortAudio does: from another thread."""
        cb: InputCallback = self.callback  # type: ignore[assignment]
        block = np.ascontiguousarray(samples, dtype=np.int16).reshape(-1, self.channels)
        t = threading.Thread(target=cb, args=(block, overflowed))
        t.start()
        t.join()

    def pull(self, frames: int) -> np.ndarray:
        """Ask for ``frames`` samples to play, from another thread; return what was written."""
        cb: OutputCallback = self.callback  # type: ignore[assignment]
        out = np.full(
            (frames, self.channels), 12345, np.int16
        )  # garbage the callback must overwrite
        t = threading.Thread(target=cb, args=(out, False))
        t.start()
        t.join()
        return out.reshape(-1)


class FakeBackend:
    """An AudioBackend with no sound card: tests push input and pull output by hand."""

    def __init__(self, input_rate: int = 48_000, output_rate: int = 48_000) -> None:
        self.rates = {"input": input_rate, "output": output_rate}
        self.streams: list[FakeStream] = []

    def default_rate(self, device: int | str | None, kind: str) -> int:
        return self.rates[kind]

    def open_input(self, *, device, rate, channels, blocksize, callback) -> FakeStream:  # type: ignore[no-untyped-def]
        s = FakeStream("input", rate, channels, blocksize, callback)
        self.streams.append(s)
        return s

    def open_output(self, *, device, rate, channels, blocksize, callback) -> FakeStream:  # type: ignore[no-untyped-def]
        s = FakeStream("output", rate, channels, blocksize, callback)
        self.streams.append(s)
        return s


@pytest.fixture
def fake_backend() -> FakeBackend:
    return FakeBackend()
