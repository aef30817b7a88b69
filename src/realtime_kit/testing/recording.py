"""Recording the fake server's traffic to JSONL, with secrets redacted, and reading it back.

Each line is one JSON object:

``{"t": <seconds since the recording started, server clock>, "conn": <connection number>,
"dir": "in" | "out" | "open" | "close", ...}``

* ``open`` lines carry ``path`` and ``query`` (the session kind, model or call id);
* ``in`` / ``out`` lines carry ``frame``: the event as JSON (or ``text`` when it was not JSON);
* ``close`` lines carry ``code`` and ``reason``.

Anything that looks like a credential (``sk-…``, ``ek_…``, ``Bearer …``) is replaced with
``"[redacted]"`` before it is written, wherever it appears. A recording replays as a server with
:class:`realtime_kit.testing.ReplayServer`.

Imports: the standard library only.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

__all__ = ["Recorder", "load_recording", "redact"]

_SECRET = re.compile(r"(?:sk-[A-Za-z0-9_\-]{3,}|ek_[A-Za-z0-9_\-]{3,}|Bearer\s+\S+)")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every credential-looking token replaced by ``[redacted]``."""
    return _SECRET.sub(REDACTED, text)


def _redact_obj(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_obj(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_obj(v) for v in value]
    return value


class Recorder:
    """Appends frames to a JSONL file (thread-safe).

    Args:
        path: the file to write (truncated when the recorder opens).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file: TextIO | None = self.path.open("w", encoding="utf-8")
        self._t0: float | None = None

    def _write(self, now: float, record: dict[str, Any]) -> None:
        with self._lock:
            if self._file is None:
                return
            if self._t0 is None:
                self._t0 = now
            line = {"t": round(now - self._t0, 6), **_redact_obj(record)}
            self._file.write(json.dumps(line, separators=(",", ":")) + "\n")
            self._file.flush()

    def opened(self, now: float, conn: int, path: str, query: dict[str, str]) -> None:
        self._write(now, {"conn": conn, "dir": "open", "path": path, "query": query})

    def frame(self, now: float, conn: int, direction: str, text: str) -> None:
        try:
            record: dict[str, Any] = {"conn": conn, "dir": direction, "frame": json.loads(text)}
        except ValueError:
            record = {"conn": conn, "dir": direction, "text": text}
        self._write(now, record)

    def closed(self, now: float, conn: int, code: int, reason: str) -> None:
        self._write(now, {"conn": conn, "dir": "close", "code": code, "reason": reason})

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __repr__(self) -> str:
        return f"Recorder({str(self.path)!r})"


def load_recording(path: str | Path) -> list[dict[str, Any]]:
    """All records of a JSONL recording, in order.

    Raises:
        ValueError: a line that is not a JSON object with ``t``, ``conn`` and ``dir``.
    """
    records: list[dict[str, Any]] = []
    for number, line in enumerate(_lines(Path(path)), start=1):
        record = json.loads(line)
        if not isinstance(record, dict) or not {"t", "conn", "dir"} <= record.keys():
            raise ValueError(f"{path}:{number}: not a recording line")
        records.append(record)
    return records


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line
