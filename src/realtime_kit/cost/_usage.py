"""Usage records and the arithmetic that turns them into dollars.

Plain frozen dataclasses mirror the three ways the API reports (or fails to report) usage:

* :class:`TokenUsage` — ``response.done`` usage of a realtime model, by modality. Cached tokens
  are a *subset* of input tokens: they are billed at the cached rate and subtracted from the
  full-rate count, never billed twice.
* :class:`TranscriptionTokens` — ``…input_audio_transcription.completed`` usage of
  ``type:"tokens"``.
* :class:`AudioDuration` — seconds of audio: transcription usage of ``type:"duration"``, and the
  input audio appended to a translation session (which reports no usage at all).

:func:`price` prices any of them against a :class:`PriceCard` and returns :class:`Charges` — the
USD per billed quantity. Token money is exact (a rate per 1M tokens times an integer count needs
no rounding); per-minute money divides by 60 and is rounded once, half-even, to 1e-12 USD.

Audio durations are kept as integer *ticks* of 1/48,000 s so that PCM16 (48,000 bytes/s) and G.711
(8,000 bytes/s) add up exactly. Imports only the standard library, ``realtime_kit.errors`` and
``realtime_kit.cost._cards``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Context, Decimal
from typing import Final, TypeAlias

from realtime_kit.cost._cards import PriceCard
from realtime_kit.errors import CostError, UnpricedModelError

__all__ = [
    "BYTES_PER_SECOND",
    "TICKS_PER_SECOND",
    "AudioDuration",
    "Charges",
    "TokenUsage",
    "TranscriptionTokens",
    "Usage",
    "b64_decoded_length",
    "price",
]

#: Audio clock resolution: one tick is one PCM16 byte at 24 kHz (1/48,000 s).
TICKS_PER_SECOND: Final = 48_000
#: Bytes per second of each session audio format (``audio.*.format.type``).
BYTES_PER_SECOND: Final[Mapping[str, int]] = {
    "audio/pcm": 48_000,
    "audio/pcmu": 8_000,
    "audio/pcma": 8_000,
}
_MILLION: Final = Decimal(1_000_000)
_SIXTY: Final = Decimal(60)
_PICO: Final = Decimal("1e-12")
#: Wide enough that no product of a rate and a realistic count is ever rounded.
CTX: Final = Context(prec=60)


def round_pico(value: Decimal) -> Decimal:
    """``value`` unchanged when it has at most 12 decimals, else rounded half-even to 1e-12."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        return value.quantize(_PICO, context=CTX)
    return value


def b64_decoded_length(data: str) -> int:
    """Bytes that the standard base64 text ``data`` decodes to, without decoding it."""
    n = len(data)
    pad = 2 if data.endswith("==") else 1 if data.endswith("=") else 0
    # max(): a lone "=" or "==" is not base64 and must not count as negative audio.
    return max(0, n * 3 // 4 - pad)


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CostError(f"usage field {name} must be a non-negative integer, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens of one realtime response (or a sum of several), as the API counts them.

    ``*_input`` counts *include* the cached tokens of that modality, exactly as
    ``usage.input_token_details`` reports them; ``cached_*`` are the cached parts.

    Raises:
        CostError: a negative count, or more cached tokens than input tokens of a modality.
    """

    text_input: int = 0
    audio_input: int = 0
    image_input: int = 0
    cached_text_input: int = 0
    cached_audio_input: int = 0
    cached_image_input: int = 0
    text_output: int = 0
    audio_output: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            _count(f.name, getattr(self, f.name))
        for modality in ("text", "audio", "image"):
            cached = getattr(self, f"cached_{modality}_input")
            total = getattr(self, f"{modality}_input")
            if cached > total:
                raise CostError(
                    f"usage says {cached} cached {modality} tokens but only {total} {modality}"
                    " input tokens; cached tokens are a subset of input tokens"
                )

    def __add__(self, other: TokenUsage) -> TokenUsage:
        if not isinstance(other, TokenUsage):
            return NotImplemented
        return TokenUsage(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(TokenUsage))
        )

    @property
    def input_tokens(self) -> int:
        """All input tokens (cached included)."""
        return self.text_input + self.audio_input + self.image_input

    @property
    def output_tokens(self) -> int:
        """All output tokens."""
        return self.text_output + self.audio_output

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def billable(self) -> dict[str, int]:
        """Token counts per card rate name: full-rate input is input minus cached."""
        return {
            "text_input": self.text_input - self.cached_text_input,
            "cached_text_input": self.cached_text_input,
            "text_output": self.text_output,
            "audio_input": self.audio_input - self.cached_audio_input,
            "cached_audio_input": self.cached_audio_input,
            "audio_output": self.audio_output,
            "image_input": self.image_input - self.cached_image_input,
            "cached_image_input": self.cached_image_input,
        }

    @classmethod
    def from_wire(cls, usage: object) -> TokenUsage:
        """Read a ``response.done`` ``usage`` object (a pydantic model or a plain dict).

        A missing detail block with a non-zero total cannot be split by modality and raises
        :class:`~realtime_kit.errors.CostError` rather than being guessed.
        """
        inp = _get(usage, "input_token_details")
        out = _get(usage, "output_token_details")
        cached = _get(inp, "cached_tokens_details")
        result = cls(
            text_input=_int(inp, "text_tokens"),
            audio_input=_int(inp, "audio_tokens"),
            image_input=_int(inp, "image_tokens"),
            cached_text_input=_int(cached, "text_tokens"),
            cached_audio_input=_int(cached, "audio_tokens"),
            cached_image_input=_int(cached, "image_tokens"),
            text_output=_int(out, "text_tokens"),
            audio_output=_int(out, "audio_tokens"),
        )
        if inp is None and _int(usage, "input_tokens"):
            raise CostError("response usage has input_tokens but no input_token_details")
        if out is None and _int(usage, "output_tokens"):
            raise CostError("response usage has output_tokens but no output_token_details")
        cached_total = _int(inp, "cached_tokens")
        split = result.cached_text_input + result.cached_audio_input + result.cached_image_input
        if cached_total != split:
            raise CostError(
                f"response usage has {cached_total} cached tokens but cached_tokens_details"
                f" accounts for {split}; the split by modality is needed to price them"
            )
        return result


@dataclass(frozen=True, slots=True)
class TranscriptionTokens:
    """Usage of a token-priced transcription (``usage.type == "tokens"``)."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __post_init__(self) -> None:
        _count("input_tokens", self.input_tokens)
        _count("output_tokens", self.output_tokens)

    def __add__(self, other: TranscriptionTokens) -> TranscriptionTokens:
        if not isinstance(other, TranscriptionTokens):
            return NotImplemented
        return TranscriptionTokens(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )


@dataclass(frozen=True, slots=True)
class AudioDuration:
    """A length of audio in ticks of 1/48,000 s (see :data:`TICKS_PER_SECOND`)."""

    ticks: int = 0

    def __post_init__(self) -> None:
        _count("ticks", self.ticks)

    @classmethod
    def from_seconds(cls, seconds: Decimal | int | str) -> AudioDuration:
        """Exact for any multiple of 1/48,000 s; finer fractions are rounded half-even."""
        value = Decimal(seconds)
        if not value.is_finite() or value < 0:
            raise CostError(f"duration must be finite and non-negative, got {seconds!r}")
        return cls(int(CTX.multiply(value, Decimal(TICKS_PER_SECOND)).to_integral_value()))

    @classmethod
    def from_bytes(cls, nbytes: int, audio_format: str = "audio/pcm") -> AudioDuration:
        """The duration of ``nbytes`` of audio in ``audio_format``."""
        return cls(nbytes * (TICKS_PER_SECOND // BYTES_PER_SECOND[audio_format]))

    @property
    def seconds(self) -> Decimal:
        """The duration in seconds (rounded to 28 digits when not a finite decimal)."""
        return Decimal(self.ticks) / TICKS_PER_SECOND

    def __add__(self, other: AudioDuration) -> AudioDuration:
        if not isinstance(other, AudioDuration):
            return NotImplemented
        return AudioDuration(self.ticks + other.ticks)


Usage: TypeAlias = TokenUsage | TranscriptionTokens | AudioDuration


class Charges(Mapping[str, Decimal]):
    """USD per billed quantity (card rate name → dollars), with a total.

    Keys are the card's rate names (``audio_input``, ``cached_text_input``, ``minute``…). Adding
    two ``Charges`` adds per key. Only quantities that were used appear.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Decimal] | None = None) -> None:
        self._items: dict[str, Decimal] = dict(items or {})

    def __getitem__(self, key: str) -> Decimal:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __add__(self, other: Charges) -> Charges:
        if not isinstance(other, Charges):
            return NotImplemented
        merged = dict(self._items)
        for key, value in other._items.items():
            merged[key] = CTX.add(merged.get(key, Decimal(0)), value)
        return Charges(merged)

    def __repr__(self) -> str:
        return f"Charges({ {k: str(v) for k, v in self._items.items()} }, total={self.total})"

    @property
    def total(self) -> Decimal:
        """The sum in USD."""
        return sum(self._items.values(), Decimal(0))


def price(card: PriceCard, usage: Usage) -> Charges:
    """Price ``usage`` with ``card``.

    Raises:
        UnpricedModelError: the card lacks a rate the usage needs, or prices a different kind of
            usage (a per-minute card cannot price tokens, and the other way round).
    """
    if isinstance(usage, TokenUsage):
        if card.kind != "tokens":
            raise UnpricedModelError(card.model)
        quantities: Mapping[str, int] = usage.billable()
    elif isinstance(usage, TranscriptionTokens):
        if card.kind != "transcription_tokens":
            raise UnpricedModelError(card.model)
        quantities = {"input": usage.input_tokens, "output": usage.output_tokens}
    else:
        if card.kind != "per_minute":
            raise UnpricedModelError(card.model)
        if usage.ticks == 0:
            return Charges()
        per_tick = card.rate("minute")
        money = round_pico(
            CTX.divide(CTX.multiply(Decimal(usage.ticks), per_tick), _SIXTY * TICKS_PER_SECOND)
        )
        return Charges({"minute": money})
    charges: dict[str, Decimal] = {}
    for name, count in quantities.items():
        if count:
            charges[name] = CTX.divide(CTX.multiply(Decimal(count), card.rate(name)), _MILLION)
    return Charges(charges)


def _get(obj: object, name: str) -> object:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _int(obj: object, name: str) -> int:
    value = _get(obj, name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise CostError(f"usage field {name} must be an integer, got {value!r}")
    return value
