"""Hand-computed prices for every card kind, and the algebra of pricing (monotone, additive)."""

from __future__ import annotations

from decimal import Decimal

import pybase64
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.cost import (
    AudioDuration,
    PriceBook,
    PriceCard,
    TokenUsage,
    TranscriptionTokens,
    b64_decoded_length,
    price,
)
from realtime_kit.errors import CostError, UnpricedModelError

BOOK = PriceBook.default()
CENT = Decimal("0.01")

# The usage block of a recorded gpt-realtime response (PROTOCOL.md §6, TRACE).
TRACE_USAGE = {
    "total_tokens": 320,
    "input_tokens": 132,
    "output_tokens": 188,
    "input_token_details": {
        "text_tokens": 59,
        "audio_tokens": 73,
        "image_tokens": 0,
        "cached_tokens": 64,
        "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 64, "image_tokens": 0},
    },
    "output_token_details": {"text_tokens": 41, "audio_tokens": 147},
}


def test_trace_usage_on_gpt_realtime_2_is_exact() -> None:
    usage = TokenUsage.from_wire(TRACE_USAGE)
    charges = price(BOOK.card_for("gpt-realtime-2"), usage)
    # 59×4 + 41×24 + (73−64)×32 + 64×0.40 + 147×64, all per 1M tokens.
    assert dict(charges) == {
        "text_input": Decimal("0.000236"),
        "text_output": Decimal("0.000984"),
        "audio_input": Decimal("0.000288"),
        "cached_audio_input": Decimal("0.0000256"),
        "audio_output": Decimal("0.009408"),
    }
    assert charges.total == Decimal("0.0109416")


def test_cached_tokens_are_subtracted_not_double_counted() -> None:
    usage = TokenUsage(
        text_input=120_000,
        cached_text_input=100_000,
        audio_input=300_000,
        cached_audio_input=250_000,
        text_output=10_000,
        audio_output=30_000,
    )
    total = price(BOOK.card_for("gpt-realtime-1.5"), usage).total
    # 20k×4 + 100k×0.40 + 50k×32 + 250k×0.40 + 10k×16 + 30k×64 (per 1M)
    # = 0.08 + 0.04 + 1.60 + 0.10 + 0.16 + 1.92
    assert total == Decimal("3.90")
    # Billing cached tokens on top of the full input would have cost 4.74 + 0.14 more.
    assert total.quantize(CENT) == Decimal("3.90")


def test_image_tokens_with_cache() -> None:
    usage = TokenUsage(image_input=250_000, cached_image_input=50_000)
    charges = price(BOOK.card_for("gpt-realtime-2"), usage)
    assert charges["image_input"] == Decimal("1.00")  # 200k × $5 / 1M
    assert charges["cached_image_input"] == Decimal("0.025")  # 50k × $0.50 / 1M
    assert charges.total == Decimal("1.025")


def test_mini_card_all_modalities() -> None:
    usage = TokenUsage(
        text_input=200, image_input=1_000, cached_image_input=400, text_output=50, audio_output=10
    )
    charges = price(BOOK.card_for("gpt-realtime-2.1-mini"), usage)
    # 200×0.60 + 600×0.80 + 400×0.08 + 50×2.40 + 10×20.00 (per 1M)
    assert charges.total == Decimal("0.000952")


@pytest.mark.parametrize(
    ("model", "expected"),
    [("gpt-4o-transcribe", Decimal("4.50")), ("gpt-4o-mini-transcribe", Decimal("2.25"))],
)
def test_transcription_by_tokens(model: str, expected: Decimal) -> None:
    usage = TranscriptionTokens(input_tokens=1_000_000, output_tokens=200_000)
    assert price(BOOK.card_for(model), usage).total == expected


def test_transcription_by_tokens_resolves_dated_snapshot() -> None:
    card = BOOK.card_for("gpt-4o-mini-transcribe-2025-12-15")
    assert card.model == "gpt-4o-mini-transcribe"
    assert price(card, TranscriptionTokens(400_000, 0)).total == Decimal("0.50")


@pytest.mark.parametrize("model", ["gpt-live-transcribe", "gpt-realtime-whisper"])
def test_transcription_by_duration(model: str) -> None:
    ten_minutes = AudioDuration.from_seconds(600)
    assert price(BOOK.card_for(model), ten_minutes).total == Decimal("0.17")
    ninety = AudioDuration.from_seconds(Decimal("90"))
    assert price(BOOK.card_for(model), ninety).total == Decimal("0.0255")


def test_per_minute_rounds_once_to_a_picodollar() -> None:
    seven = AudioDuration.from_seconds(7)  # 7/60 × 0.017 = 0.0019833…
    assert price(BOOK.card_for("gpt-live-transcribe"), seven).total == Decimal("0.001983333333")


def test_translation_minutes() -> None:
    forty_five_minutes = AudioDuration.from_bytes(48_000 * 60 * 45)
    assert price(BOOK.card_for("gpt-realtime-translate"), forty_five_minutes).total == Decimal(
        "1.53"
    )
    g711_minute = AudioDuration.from_bytes(8_000 * 60, "audio/pcmu")
    assert g711_minute.seconds == 60
    assert price(BOOK.card_for("gpt-realtime-translate"), g711_minute).total == Decimal("0.034")


def test_retired_card_prices_the_seed_figures() -> None:
    card = BOOK.card_for("gpt-4o-realtime-preview-2024-12-17")
    assert card.status == "retired"
    usage = TokenUsage(audio_input=1_000_000, audio_output=1_000_000)
    assert price(card, usage).total == Decimal("120.00")  # $40 + $80


def test_missing_rate_is_unpriced_not_zero() -> None:
    mini = BOOK.card_for("gpt-realtime-mini")
    assert price(mini, TokenUsage(text_input=1_000_000)).total == Decimal("0.60")
    with pytest.raises(UnpricedModelError) as info:
        price(mini, TokenUsage(audio_input=1))
    assert info.value.model == "gpt-realtime-mini"
    realtime = BOOK.card_for("gpt-realtime")  # text rates published, audio not
    assert price(realtime, TokenUsage(text_input=1_000_000)).total == Decimal("4.00")
    with pytest.raises(UnpricedModelError):
        price(realtime, TokenUsage(audio_output=1))
    # Images were never priced for the retired preview model.
    with pytest.raises(UnpricedModelError):
        price(BOOK.card_for("gpt-4o-realtime-preview"), TokenUsage(image_input=1))


def test_card_kind_must_match_usage_kind() -> None:
    with pytest.raises(UnpricedModelError):
        price(BOOK.card_for("gpt-live-transcribe"), TranscriptionTokens(1, 1))
    with pytest.raises(UnpricedModelError):
        price(BOOK.card_for("gpt-4o-transcribe"), AudioDuration(48_000))
    with pytest.raises(UnpricedModelError):
        price(BOOK.card_for("gpt-realtime-2"), AudioDuration(48_000))


def test_zero_usage_costs_zero_even_on_a_partial_card() -> None:
    assert price(BOOK.card_for("gpt-realtime-mini"), TokenUsage()).total == 0
    assert price(BOOK.card_for("gpt-realtime-translate"), AudioDuration()).total == 0


def test_from_wire_rejects_inconsistent_usage() -> None:
    bad_cache = {
        "input_tokens": 10,
        "input_token_details": {
            "text_tokens": 10,
            "cached_tokens": 20,
            "cached_tokens_details": {"text_tokens": 20},
        },
    }
    with pytest.raises(CostError, match="subset"):
        TokenUsage.from_wire(bad_cache)
    no_split = {"input_tokens": 10, "input_token_details": {"text_tokens": 10, "cached_tokens": 5}}
    with pytest.raises(CostError, match="cached_tokens_details"):
        TokenUsage.from_wire(no_split)
    with pytest.raises(CostError, match="input_token_details"):
        TokenUsage.from_wire({"input_tokens": 3})
    with pytest.raises(CostError, match="output_token_details"):
        TokenUsage.from_wire({"output_tokens": 3})
    with pytest.raises(CostError, match="integer"):
        TokenUsage.from_wire({"input_token_details": {"text_tokens": "3"}})
    with pytest.raises(CostError):
        TokenUsage(text_input=-1)
    with pytest.raises(CostError):
        AudioDuration.from_seconds(Decimal("-1"))


def test_from_wire_empty_usage_is_zero() -> None:
    assert TokenUsage.from_wire({}) == TokenUsage()


# -- properties ------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=5_000_000)


@st.composite
def token_usages(draw: st.DrawFn) -> TokenUsage:
    fields = {}
    for modality in ("text", "audio", "image"):
        total = draw(counts)
        fields[f"{modality}_input"] = total
        fields[f"cached_{modality}_input"] = draw(st.integers(min_value=0, max_value=total))
    fields["text_output"] = draw(counts)
    fields["audio_output"] = draw(counts)
    return TokenUsage(**fields)


TOKEN_CARDS = [c for c in BOOK if c.kind == "tokens" and c.complete]


@given(a=token_usages(), b=token_usages(), card=st.sampled_from(TOKEN_CARDS))
def test_token_cost_is_additive_over_responses(
    a: TokenUsage, b: TokenUsage, card: PriceCard
) -> None:
    assert price(card, a + b).total == price(card, a).total + price(card, b).total


@given(
    usage=token_usages(),
    field=st.sampled_from(["text_input", "audio_input", "image_input", "text_output"]),
    extra=st.integers(min_value=1, max_value=1_000_000),
    card=st.sampled_from(TOKEN_CARDS),
)
def test_token_cost_is_monotone_in_usage(
    usage: TokenUsage, field: str, extra: int, card: PriceCard
) -> None:
    bigger = usage + TokenUsage(**{field: extra})
    assert price(card, bigger).total > price(card, usage).total


@given(
    a=st.integers(min_value=0, max_value=10**9),
    b=st.integers(min_value=0, max_value=10**9),
    model=st.sampled_from(["gpt-live-transcribe", "gpt-realtime-translate"]),
)
def test_minute_cost_is_monotone_and_additive_within_rounding(a: int, b: int, model: str) -> None:
    card = BOOK.card_for(model)
    whole = price(card, AudioDuration(a + b)).total
    parts = price(card, AudioDuration(a)).total + price(card, AudioDuration(b)).total
    assert whole >= price(card, AudioDuration(a)).total
    assert abs(whole - parts) <= Decimal("1e-12")


@given(st.binary(max_size=3000))
def test_b64_length_matches_decoding(data: bytes) -> None:
    text = pybase64.b64encode(data).decode()
    assert b64_decoded_length(text) == len(data)
    assert b64_decoded_length(text.rstrip("=")) == len(data)
