"""Price cards: the shipped set, validation, snapshot resolution and card-file round trips."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_kit.cost import RATE_NAMES, PriceBook, PriceCard, cards_table, model_family
from realtime_kit.errors import ConfigurationError, UnpricedModelError

BOOK = PriceBook.default()


def test_shipped_cards_match_protocol_section_7() -> None:
    def rates(model: str) -> dict[str, str]:
        return {k: str(v) for k, v in BOOK.card_for(model).rates.items()}

    assert rates("gpt-realtime-2")["audio_output"] == "64.00"
    assert rates("gpt-realtime-2.1")["cached_image_input"] == "0.50"
    assert rates("gpt-realtime-1.5")["text_output"] == "16.00"
    assert rates("gpt-realtime-2.1-mini")["cached_audio_input"] == "0.30"
    assert rates("gpt-4o-realtime-preview") == {
        "text_input": "5.00",
        "cached_text_input": "2.50",
        "text_output": "20.00",
        "audio_input": "40.00",
        "cached_audio_input": "2.50",
        "audio_output": "80.00",
    }
    assert rates("gpt-4o-transcribe") == {"input": "2.50", "output": "10.00"}
    assert rates("gpt-4o-mini-transcribe") == {"input": "1.25", "output": "5.00"}
    assert rates("gpt-realtime-whisper") == {"minute": "0.017"}
    assert rates("gpt-live-transcribe") == {"minute": "0.017"}
    assert rates("gpt-realtime-translate") == {"minute": "0.034"}


def test_every_shipped_card_is_dated_and_sourced() -> None:
    for card in BOOK:
        assert card.source.startswith("https://"), card.model
        assert card.effective >= date(2026, 1, 1), card.model


@pytest.mark.parametrize("card", list(BOOK), ids=lambda card: card.model)
def test_every_card_links_an_english_page_about_its_own_model(card: PriceCard) -> None:
    path = card.source.removeprefix("https://developers.openai.com/")
    assert path != card.source, "prices come from OpenAI's developer docs"
    # A localized copy (/zh-Hans/, /ja-JP/, ...) is not the page of record.
    assert path.startswith("api/docs/models/"), card.source
    page = path.removeprefix("api/docs/models/")
    assert page in (card.model, f"compare?model={card.model}"), "another model's page"


def test_models_without_published_prices_are_not_invented() -> None:
    # gpt-realtime: the text rates are published (its comparison page), audio and image not.
    realtime = BOOK.card_for("gpt-realtime")
    assert dict(realtime.rates) == {
        "text_input": Decimal("4.00"),
        "cached_text_input": Decimal("0.40"),
        "text_output": Decimal("16.00"),
    }
    assert not realtime.complete
    assert "unpriced" in realtime.note
    mini = BOOK.card_for("gpt-realtime-mini")
    assert dict(mini.rates) == {"text_input": Decimal("0.60")}
    assert not mini.complete
    assert BOOK.card_for("gpt-4o-realtime-preview").status == "retired"


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("gpt-realtime-2025-08-28", "gpt-realtime"),
        ("gpt-4o-mini-transcribe-2025-12-15", "gpt-4o-mini-transcribe"),
        ("gpt-realtime-mini-2025-10-06", "gpt-realtime-mini"),
        ("gpt-realtime-2", "gpt-realtime-2"),
        ("gpt-realtime-2.1-mini", "gpt-realtime-2.1-mini"),
    ],
)
def test_model_family(name: str, family: str) -> None:
    assert model_family(name) == family
    assert BOOK.card_for(name).model == family


def test_unknown_model_raises_with_its_name() -> None:
    assert BOOK.get("gpt-9-realtime") is None
    assert "gpt-9-realtime" not in BOOK
    with pytest.raises(UnpricedModelError) as info:
        BOOK.card_for("gpt-9-realtime")
    assert info.value.model == "gpt-9-realtime"
    # Not a silent family match either: the mini preview is its own family, and unpriced.
    with pytest.raises(UnpricedModelError):
        BOOK.card_for("gpt-4o-mini-realtime-preview-2024-12-17")


def test_exact_snapshot_card_wins_over_family() -> None:
    snapshot = PriceCard(
        model="gpt-realtime-2025-08-28",
        kind="tokens",
        rates={"text_input": "1.00"},
        effective=date(2026, 11, 1),
        source="https://example.invalid/contract",
    )
    book = BOOK.with_cards([snapshot])
    assert book.card_for("gpt-realtime-2025-08-28") is snapshot
    assert book.card_for("gpt-realtime") is BOOK.card_for("gpt-realtime")
    assert len(book) == len(BOOK) + 1
    assert len(BOOK) == 12  # the default book is not changed


def test_with_cards_overrides_a_shipped_card() -> None:
    negotiated = PriceCard(
        model="gpt-realtime-2",
        kind="tokens",
        rates={"audio_output": 50},
        effective=date(2026, 12, 1),
        source="contract #12",
    )
    book = BOOK.with_cards([negotiated])
    assert book.card_for("gpt-realtime-2").rates == {"audio_output": Decimal(50)}
    assert len(book) == len(BOOK)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rates": {"text_inptu": "1"}}, "unknown rate names"),
        ({"rates": {"text_input": 1.5}}, "floats are refused"),
        ({"rates": {"text_input": "-1"}}, "non-negative"),
        ({"rates": {"text_input": "NaN"}}, "finite"),
        ({"rates": {"text_input": "abc"}}, "not a number"),
        ({"kind": "per_token"}, "kind must be one of"),
        ({"status": "gone"}, "status must be one of"),
        ({"model": ""}, "needs a model name"),
        ({"effective": "2026-11-01"}, "datetime.date"),
    ],
)
def test_card_validation(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "model": "m",
        "kind": "tokens",
        "rates": {},
        "effective": date(2026, 1, 1),
        "source": "s",
    }
    with pytest.raises(ConfigurationError, match=message):
        PriceCard(**{**base, **kwargs})  # type: ignore[arg-type]


def test_cards_are_immutable_and_hashable() -> None:
    card = BOOK.card_for("gpt-realtime-2")
    with pytest.raises(TypeError):
        card.rates["text_input"] = Decimal(0)  # type: ignore[index]
    assert hash(card) == hash(BOOK.card_for("gpt-realtime-2"))
    assert {card, card} == {card}


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_shipped_book_round_trips_through_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cards{suffix}"
    BOOK.dump(path)
    assert PriceBook.load(path) == BOOK
    assert PriceBook.load(str(path)) == BOOK


def test_hand_written_toml_with_bare_numbers_stays_exact() -> None:
    text = """
format = "realtime_kit.price_cards/1"
[[cards]]
model = "acme-realtime"
kind = "tokens"
effective = 2026-10-01
source = "https://acme.example/prices"
[cards.rates]
text_input = 0.1
audio_output = 3
"""
    card = PriceBook.loads(text, "toml").card_for("acme-realtime-2026-10-02")
    assert card.rates == {"text_input": Decimal("0.1"), "audio_output": Decimal(3)}
    assert card.status == "current"


def test_json_card_file_with_numbers() -> None:
    doc = {
        "cards": [
            {
                "model": "acme-asr",
                "kind": "per_minute",
                "effective": "2026-10-01",
                "source": "s",
                "rates": {"minute": 0.006},
            }
        ]
    }
    card = PriceBook.loads(json.dumps(doc), "json").card_for("acme-asr")
    assert card.rate("minute") == Decimal("0.006")


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("{", "json", "not valid"),
        ("cards = [", "toml", "not valid"),
        ('{"format": "other/2", "cards": []}', "json", "unsupported card file format"),
        ('{"cards": {}}', "json", "'cards' list"),
        ('{"cards": [1]}', "json", "table/object"),
        ('{"cards": [{"model": "m", "kind": "tokens", "bogus": 1}]}', "json", "unknown keys"),
        (
            '{"cards": [{"model": "m", "kind": "x", "effective": "2026-01-01", "source": ""}]}',
            "json",
            "kind must be one of",
        ),
        (
            '{"cards": [{"model": "m", "kind": "tokens", "effective": "yesterday", "source": ""}]}',
            "json",
            "YYYY-MM-DD",
        ),
        (
            '{"cards": [{"model": "m", "kind": "tokens", "effective": "2026-01-01",'
            ' "source": "", "rates": []}]}',
            "json",
            "rates must be",
        ),
        ('{"cards": [{"model": 3}]}', "json", "must be a string"),
        ("[]", "json", "table/object"),
    ],
)
def test_bad_card_documents(text: str, fmt: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        PriceBook.loads(text, fmt)  # type: ignore[arg-type]


def test_bad_card_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"\.json or \.toml"):
        PriceBook.load(tmp_path / "cards.yaml")
    with pytest.raises(ConfigurationError, match="cannot read"):
        PriceBook.load(tmp_path / "missing.toml")
    with pytest.raises(ConfigurationError, match="cannot write"):
        BOOK.dump(tmp_path / "no-such-dir" / "cards.json")


rate_values = st.integers(min_value=0, max_value=10**7).map(lambda n: Decimal(n).scaleb(-4))
# Quotes, backslashes, control characters, DEL and non-ASCII: everything TOML must escape.
texts = st.text(alphabet=st.sampled_from('ab-Z09 ."\\\n\t\x00\x1f\x7fé€😀'), max_size=20)


@st.composite
def cards(draw: st.DrawFn) -> PriceCard:
    kind = draw(st.sampled_from(["tokens", "transcription_tokens", "per_minute"]))
    names = draw(st.lists(st.sampled_from(RATE_NAMES[kind]), unique=True))
    return PriceCard(
        model=draw(texts.filter(bool)),
        kind=kind,
        rates={name: draw(rate_values) for name in names},
        effective=draw(st.dates()),
        source=draw(texts),
        status=draw(st.sampled_from(["current", "deprecated", "retired"])),
        note=draw(texts),
    )


@given(st.lists(cards(), max_size=5), st.sampled_from(["json", "toml"]))
def test_any_book_round_trips(cards_: list[PriceCard], fmt: str) -> None:
    book = PriceBook(cards_)
    assert PriceBook.loads(book.dumps(fmt), fmt) == book  # type: ignore[arg-type]


def test_cards_table_lists_every_card() -> None:
    table = cards_table(BOOK)
    for card in BOOK:
        assert f"`{card.model}`" in table
    assert "unpriced: cached_text_input" in table
    assert "| `gpt-realtime` | tokens | deprecated | text_input 4.00, " in table
    assert "unpriced: audio_input" in table
