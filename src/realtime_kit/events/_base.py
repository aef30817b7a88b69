"""Hand-written base classes under the generated event models.

The generator (``tools/generate_events.py``) writes ``_generated.py`` on top of these. Nothing here
knows a particular event; the rules shared by every model live here:

* unknown fields are kept (``extra="allow"``) so a decode → encode round trip is lossless;
* ``type`` constants count as *set* when a model is built by keyword, so the encoder (which drops
  unset fields to keep "omitted" and ``null`` apart) always writes them;
* audio-bearing events decode and encode their base64 payload with the standard alphabet.

May import: pydantic, numpy, pybase64, ``realtime_kit.errors``.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pybase64
from pydantic import BaseModel, ConfigDict

from realtime_kit.errors import AudioError, DecodeError

__all__ = [
    "AudioAppendMixin",
    "AudioPayloadMixin",
    "ClientEventBase",
    "RealtimeModel",
    "ServerEventBase",
    "UnknownObject",
    "make_tagger",
]

UNKNOWN_TAG = "__unknown__"


class RealtimeModel(BaseModel):
    """Base of every generated model: keeps unknown fields and remembers what was set."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        protected_namespaces=(),
        ser_json_inf_nan="constants",
    )

    _rk_always: ClassVar[frozenset[str]] = frozenset()
    _rk_nested: ClassVar[tuple[str, ...]] = ()

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)
        if self._rk_always:
            # A constant ``type`` the caller did not spell out is still part of the payload.
            self.__pydantic_fields_set__.update(self._rk_always)

    # Only keyword construction needs the step above. Marking this __init__ as pydantic's own
    # keeps validation (decode) from routing through it, which would triple the cost of a decode.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class UnknownObject(RealtimeModel):
    """A variant of a union that the schema does not know (a new item type, a new content part).

    Every field is kept as received; ``type`` is the variant's tag when it has one.
    """

    type: str | None = None


class ServerEventBase(RealtimeModel):
    """Base of every server → client event."""

    type: str
    event_id: str | None = None


class ClientEventBase(RealtimeModel):
    """Base of every client → server event."""

    type: str
    event_id: str | None = None


def make_tagger(tags: Mapping[str, str], notype: str | None) -> Callable[[Any], str | None]:
    """Build the discriminator of a generated union.

    ``tags`` maps a ``type`` value (or ``"type:role"`` where several members share a ``type``) to
    the member's class name; ``notype`` is the member that has no ``type`` field at all. A value
    with an unrecognised tag goes to :class:`UnknownObject` instead of failing.
    """
    with_role = frozenset(key.split(":", 1)[0] for key in tags if ":" in key)
    table = dict(tags)

    def tagger(value: Any) -> str | None:
        # It runs inside pydantic's validator, where anything it raised would escape the
        # decoder as itself: every input, however wrong, gets a tag or None (a typed error).
        if isinstance(value, dict):
            kind = value.get("type")
        elif isinstance(value, BaseModel):
            kind = getattr(value, "type", None)
        else:
            return None
        if kind is None:
            return notype if notype is not None else UNKNOWN_TAG
        if not isinstance(kind, str):
            return None  # a list or an object where a tag belongs: not hashable, not a tag
        if kind not in with_role:
            return table.get(kind, UNKNOWN_TAG)
        role = value.get("role") if isinstance(value, dict) else getattr(value, "role", None)
        return table.get(f"{kind}:{role}", UNKNOWN_TAG)

    return tagger


class AudioPayloadMixin(RealtimeModel):
    """Audio helpers for events that carry base64 audio (appends and output deltas)."""

    _rk_audio_field: ClassVar[str] = "audio"

    def audio_bytes(self) -> bytes:
        """The audio payload decoded from base64 (standard alphabet)."""
        value = getattr(self, self._rk_audio_field)
        if value is None:
            return b""
        try:
            return pybase64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecodeError(
                "audio payload is not valid base64",
                event_type=getattr(self, "type", None),
                field=self._rk_audio_field,
            ) from exc

    def pcm16_array(self) -> npt.NDArray[np.int16]:
        """The payload as 16-bit little-endian samples, without copying (read-only view)."""
        raw = self.audio_bytes()
        if len(raw) % 2:
            raise AudioError(f"PCM16 audio needs an even byte count, got {len(raw)}")
        return np.frombuffer(raw, dtype="<i2")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Audio is kilobytes of base64: show its size, not its bytes.
        for name, value in super().__repr_args__():
            if name == self._rk_audio_field and isinstance(value, str):
                yield name, _Elided(len(value) * 3 // 4)
            else:
                yield name, value


class _Elided:
    def __init__(self, size: int) -> None:
        self.size = size

    def __repr__(self) -> str:
        return f"<~{self.size} bytes of audio>"


def audio_buffer(
    data: bytes | bytearray | memoryview | npt.NDArray[np.int16],
) -> bytes | bytearray | memoryview:
    """The bytes of audio given as bytes or an ``int16`` array (written little-endian).

    Raises:
        AudioError: an array of another type.
    """
    if isinstance(data, np.ndarray):
        if data.dtype.kind != "i" or data.dtype.itemsize != 2:
            raise AudioError(f"audio arrays must be int16, got {data.dtype}")
        return np.ascontiguousarray(data, dtype="<i2").data.cast("B")
    return data


def audio_base64(buffer: bytes | bytearray | memoryview) -> str:
    """Standard base64 of audio bytes, as the API wants it in JSON."""
    return pybase64.b64encode(buffer).decode("ascii")


class AudioAppendMixin(AudioPayloadMixin):
    """Adds :meth:`from_audio` to the append events."""

    @classmethod
    def from_audio(
        cls,
        data: bytes | bytearray | memoryview | npt.NDArray[np.int16],
        *,
        event_id: str | None = None,
    ) -> Self:
        """Build the event from raw audio bytes or an ``int16`` array (encoded as base64).

        Bytes are sent as they are (PCM16 little-endian, or G.711 when the session uses it);
        an array must be ``int16`` and is written little-endian.
        """
        encoded = audio_base64(audio_buffer(data))
        fields: dict[str, Any] = {cls._rk_audio_field: encoded}
        if event_id is not None:
            fields["event_id"] = event_id
        # Straight to the validator (50 appends a second per microphone): the Python __init__
        # would only add the constant ``type`` to the fields set, done here instead.
        event: Self = cls.__pydantic_validator__.validate_python(fields)
        event.__pydantic_fields_set__.update(cls._rk_always)
        return event
