"""CostMeter fed with real decoded events: realtime, transcription and translation sessions."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.cost import CostMeter, PriceCard, TokenUsage
from realtime_kit.errors import ConfigurationError, CostError, UnpricedModelError
from tests.cost.cost_events import (
    append,
    audio_delta,
    client,
    realtime_created,
    response_created,
    response_done,
    server,
    transcription_completed,
    transcription_created,
    translation_append,
    translation_created,
    usage_block,
)

SECOND = 48_000  # bytes of PCM16 at 24 kHz


def test_realtime_turn_estimates_then_actuals() -> None:
    meter = CostMeter()
    meter.observe(realtime_created("gpt-realtime-2"))
    assert meter.model == "gpt-realtime-2"
    for _ in range(10):
        meter.observe(append(SECOND // 5))  # 2 s of user audio in 200 ms frames
    # 2 s × 10 tok/s = 20 audio tokens × $32/1M
    assert meter.estimated_usd == Decimal("0.00064")
    assert meter.has_estimates
    meter.observe(response_created("resp_1"))
    for _ in range(4):
        meter.observe(audio_delta("resp_1", SECOND // 4))  # 1 s of assistant audio
    # + 1 s × 20 tok/s = 20 tokens × $64/1M
    assert meter.estimated_usd == Decimal("0.00192")
    assert meter.actual_usd == 0
    assert all(line.estimate for line in meter.lines())

    meter.observe(response_done("resp_1", usage_block(text_in=100, audio_in=25, audio_out=22)))
    assert not meter.has_estimates
    assert meter.estimated_usd == 0
    # 100×4 + 25×32 + 22×64 per 1M = 0.0004 + 0.0008 + 0.001408
    assert meter.total_usd == Decimal("0.002608")
    assert meter.responses["resp_1"].usd == Decimal("0.002608")
    assert meter.tokens == TokenUsage(text_input=100, audio_input=25, audio_output=22)
    assert meter.by_modality() == {"text": Decimal("0.0004"), "audio": Decimal("0.002208")}
    assert meter.conversation_seconds == 2


def test_audio_appended_after_response_created_waits_for_the_next_response() -> None:
    meter = CostMeter("gpt-realtime-2")
    meter.observe(append(SECOND))
    meter.observe(response_created("r1"))
    meter.observe(append(SECOND))
    meter.observe(response_done("r1", usage_block(audio_in=10)))
    # r1 settled; the second second of audio is still an estimate (10 tokens × $32/1M).
    assert meter.estimated_usd == Decimal("0.00032")
    meter.observe(client({"type": "input_audio_buffer.clear"}))
    assert meter.estimated_usd == 0
    assert not meter.has_estimates


def test_response_without_usage_clears_its_estimates() -> None:
    meter = CostMeter("gpt-realtime-2")
    meter.observe(response_created("r1"))
    meter.observe(audio_delta("r1", SECOND))
    meter.observe(response_done("r1", None))
    assert meter.total_usd == 0
    assert meter.responses["r1"].usage == TokenUsage()


def test_g711_session_measures_audio_at_8000_bytes_per_second() -> None:
    meter = CostMeter()
    meter.observe(
        realtime_created("gpt-realtime-2", input_format="audio/pcmu", output_format="audio/pcma")
    )
    meter.observe(append(8_000))  # 1 s of μ-law → 10 tokens
    meter.observe(response_created("r"))
    meter.observe(audio_delta("r", 4_000))  # 0.5 s of A-law → 10 tokens
    assert meter.estimated_usd == Decimal("0.00032") + Decimal("0.00064")
    assert meter.conversation_seconds == 1


def test_session_model_snapshot_resolves_to_its_family() -> None:
    meter = CostMeter()
    meter.observe(realtime_created("gpt-4o-realtime-preview-2024-12-17"))
    meter.observe(response_done("r", usage_block(audio_in=1_000_000, audio_out=1_000_000)))
    assert meter.total_usd == Decimal("120.00")
    assert meter.model == "gpt-4o-realtime-preview-2024-12-17"


def test_unknown_model_raises_at_construction() -> None:
    with pytest.raises(UnpricedModelError) as info:
        CostMeter("gpt-9-realtime")
    assert info.value.model == "gpt-9-realtime"
    blank = PriceCard(
        model="gpt-blank",
        kind="tokens",
        rates={},
        effective=date(2026, 11, 1),
        source="https://example.invalid/none",
    )
    with pytest.raises(UnpricedModelError):
        CostMeter("gpt-blank", prices=[blank])  # a card without any published rate
    with pytest.raises(UnpricedModelError):
        CostMeter("gpt-realtime-2", transcription_model="whisper-1")


def test_unpriced_model_named_by_the_server_raises_in_strict_mode() -> None:
    meter = CostMeter()
    with pytest.raises(UnpricedModelError) as info:
        meter.observe(realtime_created("gpt-4o-mini-realtime-preview-2024-12-17"))
    assert info.value.model == "gpt-4o-mini-realtime-preview-2024-12-17"


def test_partial_card_raises_only_for_the_missing_rate() -> None:
    meter = CostMeter("gpt-realtime-mini")
    meter.observe(response_done("r1", usage_block(text_in=1_000_000)))
    assert meter.total_usd == Decimal("0.60")
    with pytest.raises(UnpricedModelError):
        meter.observe(response_done("r2", usage_block(audio_out=5)))
    assert meter.total_usd == Decimal("0.60")  # the failed usage left no trace


def test_non_strict_meter_shows_unpriced_usage_and_never_reports_a_silent_zero() -> None:
    meter = CostMeter(strict=False)
    meter.observe(realtime_created("gpt-realtime", transcription_model="gpt-live-transcribe"))
    meter.observe(append(SECOND))
    meter.observe(response_done("r1", usage_block(text_in=10, audio_out=30)))
    meter.observe(transcription_completed({"type": "duration", "seconds": 60}))
    assert not meter.complete
    with pytest.raises(UnpricedModelError) as info:
        _ = meter.total_usd
    assert info.value.model == "gpt-realtime"
    # The transcription is priced. The response is not, although gpt-realtime's text rates
    # are published: a response is billed whole or kept aside whole, never half.
    assert meter.priced_usd == Decimal("0.017")
    unpriced = {(line.model, line.rate, line.quantity, line.estimate) for line in meter.unpriced}
    assert unpriced == {
        ("gpt-realtime", "text_input", Decimal(10), False),
        ("gpt-realtime", "audio_output", Decimal(30), False),
        # The second of audio appended outside any response is an estimate, unpriced too.
        ("gpt-realtime", "audio_input", Decimal(10), True),
    }
    assert meter.responses["r1"].usd is None
    assert meter.tokens.total_tokens == 40
    text = str(meter)
    assert "UNPRICED" in text
    assert "some usage is UNPRICED" in text
    as_dict = meter.to_dict()
    assert as_dict["complete"] is False
    assert "incomplete" in repr(meter)


def test_transcription_session_by_duration() -> None:
    meter = CostMeter()
    meter.observe(transcription_created("gpt-live-transcribe"))
    assert meter.transcription_model == "gpt-live-transcribe"
    meter.observe(append(SECOND * 90))
    meter.observe(transcription_completed({"type": "duration", "seconds": 90}))
    assert meter.total_usd == Decimal("0.0255")  # 1.5 min × $0.017
    assert not meter.has_estimates  # transcription sessions bill on the usage, no estimate
    meter.observe(transcription_completed({"type": "duration", "seconds": 1.1}))
    assert meter.actual_usd == Decimal("0.0255") + Decimal("0.000311666667")


def test_the_table_shows_rounded_cents_only_when_there_is_a_cent() -> None:
    meter = CostMeter()
    meter.observe(transcription_created("gpt-live-transcribe"))
    meter.observe(transcription_completed({"type": "duration", "seconds": 6}))
    assert "total: $0.001700\n" in str(meter) + "\n"  # not "(~$0.00)", which reads as free
    meter.observe(transcription_completed({"type": "duration", "seconds": 60}))
    assert "total: $0.018700 (~$0.02)" in str(meter)


def test_transcription_by_tokens_inside_a_realtime_session() -> None:
    meter = CostMeter()
    meter.observe(realtime_created("gpt-realtime-2", transcription_model="gpt-4o-transcribe"))
    meter.observe(
        transcription_completed(
            {
                "type": "tokens",
                "input_tokens": 1_000_000,
                "output_tokens": 200_000,
                "total_tokens": 1_200_000,
                "input_token_details": {"text_tokens": 0, "audio_tokens": 1_000_000},
            }
        )
    )
    meter.observe(response_done("r", usage_block(text_out=1_000)))
    # transcription 2.50 + 2.00, response 1000 × $24/1M
    assert meter.total_usd == Decimal("4.524")
    assert meter.by_modality() == {"transcription": Decimal("4.50"), "text": Decimal("0.024")}


def test_transcription_usage_without_a_known_model() -> None:
    meter = CostMeter("gpt-realtime-2")
    with pytest.raises(UnpricedModelError, match="transcription model not known"):
        meter.observe(transcription_completed({"type": "duration", "seconds": 3}))
    lenient = CostMeter("gpt-realtime-2", strict=False)
    lenient.observe(transcription_completed({"type": "duration", "seconds": 3}))
    assert not lenient.complete


def test_transcription_usage_of_unknown_type_is_an_error() -> None:
    meter = CostMeter("gpt-realtime-2", transcription_model="gpt-live-transcribe")
    with pytest.raises(CostError, match="unknown type 'credits'"):
        meter.observe(transcription_completed({"type": "credits", "amount": 3}))


def test_translation_session_bills_input_minutes() -> None:
    meter = CostMeter()
    meter.observe(translation_created())
    for _ in range(5):
        meter.observe(translation_append(9_600))  # 5 × 200 ms
    meter.observe(server({"type": "session.output_audio.delta", "delta": "AAAA"}))
    # 1 s × $0.034/min, rounded once to 1e-12
    assert meter.total_usd == Decimal("0.000566666667")
    meter.record_input_audio(SECOND * 60 * 45 - 9_600 * 5)
    assert meter.total_usd == Decimal("1.53")
    assert meter.by_modality() == {"translation": Decimal("1.53")}
    assert meter.conversation_seconds == 45 * 60


def test_translation_without_session_created_uses_the_constructor_model() -> None:
    meter = CostMeter("gpt-realtime-translate")
    meter.observe(translation_append(SECOND * 60))
    assert meter.total_usd == Decimal("0.034")


def test_audio_before_any_model_is_known_is_refused() -> None:
    meter = CostMeter()
    with pytest.raises(ConfigurationError, match="model is not known"):
        meter.observe(response_done("r", usage_block(text_in=1)))


def test_reconnect_opens_a_new_session_tally() -> None:
    meter = CostMeter()
    meter.observe(realtime_created(session_id="sess_a"))
    meter.observe(response_done("r1", usage_block(text_out=1_000)))
    meter.observe(realtime_created(session_id="sess_a", updated=True))
    assert len(meter.sessions) == 1
    meter.observe(realtime_created(session_id="sess_b"))
    meter.observe(response_done("r2", usage_block(text_out=2_000)))
    assert [s.session_id for s in meter.sessions] == ["sess_a", "sess_b"]
    assert [s.actual_usd() for s in meter.sessions] == [Decimal("0.024"), Decimal("0.048")]
    assert meter.total_usd == Decimal("0.072")
    assert set(meter.responses) == {"r1", "r2"}


def test_rates_per_minute_and_projection() -> None:
    meter = CostMeter("gpt-realtime-2")
    assert meter.usd_per_minute() is None
    assert meter.projected_usd_per_hour() is None
    meter.observe(append(SECOND * 30))
    meter.observe(response_created("r"))
    meter.observe(audio_delta("r", SECOND * 10))
    meter.observe(response_done("r", usage_block(audio_in=300, audio_out=200, text_out=50)))
    # 300×32 + 200×64 + 50×24 per 1M = 0.0096 + 0.0128 + 0.0012 = 0.0236 over 30 s
    assert meter.usd_per_minute() == Decimal("0.0472")
    assert meter.projected_usd_per_hour() == Decimal("2.832")
    assert meter.tokens_per_minute() == Decimal(1100)


def test_conversation_time_from_a_clock() -> None:
    now = [100.0]
    meter = CostMeter("gpt-realtime-2", clock=lambda: now[0])
    assert meter.conversation_seconds == 0
    meter.observe(response_created("r"))
    now[0] = 220.0
    meter.observe(response_done("r", usage_block(text_out=1_000)))
    assert meter.conversation_seconds == 120
    assert meter.usd_per_minute() == Decimal("0.012")


def test_events_without_cost_are_ignored() -> None:
    meter = CostMeter("gpt-realtime-2")
    meter.observe(client({"type": "input_audio_buffer.commit"}))
    meter.observe(server({"type": "rate_limits.updated", "rate_limits": []}))
    meter.observe(server({"type": "response.brand_new", "x": 1}))
    assert meter.lines() == []
    assert meter.total_usd == 0


def test_custom_cards_layer_over_the_shipped_ones() -> None:
    from datetime import date

    contract = PriceCard(
        model="gpt-realtime",
        kind="tokens",
        rates={"audio_input": "20", "audio_output": "40"},
        effective=date(2026, 11, 1),
        source="our contract",
    )
    meter = CostMeter(prices=[contract])
    meter.observe(realtime_created("gpt-realtime-2025-08-28"))
    meter.observe(response_done("r", usage_block(audio_in=50_000, audio_out=50_000)))
    assert meter.total_usd == Decimal("3.00")
    assert meter.prices.card_for("gpt-realtime-2").model == "gpt-realtime-2"


def test_unknown_audio_format_is_a_clear_error() -> None:
    meter = CostMeter("gpt-realtime-2")
    with pytest.raises(ConfigurationError, match="unknown audio format"):
        meter.set_audio_formats(input_format="audio/opus")


def test_non_strict_translation_on_an_unknown_model() -> None:
    meter = CostMeter(strict=False)
    meter.observe(translation_created("gpt-realtime-translate-2"))
    meter.observe(translation_append(SECOND * 30))
    meter.observe(translation_append(SECOND * 30))
    (line,) = meter.unpriced
    assert (line.source, line.model, line.quantity, line.unit) == (
        "translation",
        "gpt-realtime-translate-2",
        Decimal(60),
        "seconds",
    )
    with pytest.raises(UnpricedModelError):
        _ = meter.total_usd
    assert meter.priced_usd == 0


def test_strict_translation_on_an_unknown_model() -> None:
    meter = CostMeter()
    with pytest.raises(UnpricedModelError):
        meter.observe(translation_created("gpt-realtime-translate-2"))


def test_non_strict_unpriced_transcription_adds_up_per_kind() -> None:
    meter = CostMeter("gpt-realtime-2", transcription_model="whisper-1", strict=False)
    tokens = {"type": "tokens", "input_tokens": 5, "output_tokens": 2, "total_tokens": 7}
    meter.observe(transcription_completed(tokens))
    meter.observe(transcription_completed(tokens))
    meter.observe(transcription_completed({"type": "duration", "seconds": 2}))
    lines = {(line.model, line.rate, line.quantity) for line in meter.unpriced}
    assert lines == {
        ("whisper-1", "input", Decimal(10)),
        ("whisper-1", "output", Decimal(4)),
        ("whisper-1 (AudioDuration)", "minute", Decimal(2)),
    }


def test_an_explicit_price_book_replaces_the_shipped_one() -> None:
    from realtime_kit.cost import PriceBook

    only_translate = PriceBook([PriceBook.default().card_for("gpt-realtime-translate")])
    meter = CostMeter("gpt-realtime-translate", prices=only_translate)
    assert meter.prices is only_translate
    with pytest.raises(UnpricedModelError):
        meter.set_models(model="gpt-realtime-2")


def test_transcription_session_never_estimates_realtime_tokens() -> None:
    meter = CostMeter("gpt-realtime-2", transcription_model="gpt-live-transcribe")
    meter.observe(transcription_created("gpt-live-transcribe"))
    meter.observe(append(SECOND))
    assert not meter.has_estimates
    assert meter.total_usd == 0


def test_negative_audio_lengths_are_refused() -> None:
    meter = CostMeter("gpt-realtime-2")
    with pytest.raises(CostError):
        meter.record_input_audio(-1)
    with pytest.raises(CostError):
        meter.record_output_audio("r", -1)
    meter.observe(client({"type": "input_audio_buffer.append", "audio": "=="}))
    assert meter.conversation_seconds == 0


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["append", "delta"]),
            st.integers(min_value=0, max_value=2),
            st.integers(min_value=0, max_value=24_000),
        ),
        max_size=40,
    ),
    st.lists(st.integers(min_value=0, max_value=50_000), min_size=3, max_size=3),
)
def test_actuals_replace_every_estimate(
    frames: list[tuple[str, int, int]], audio_out: list[int]
) -> None:
    meter = CostMeter("gpt-realtime-2")
    for n in range(3):
        meter.record_response_created(f"r{n}")
    for kind, n, nbytes in frames:
        if kind == "append":
            meter.observe(append(nbytes))
        else:
            meter.observe(audio_delta(f"r{n}", nbytes))
    meter.observe(response_created("r3"))  # takes the audio appended since
    for n, tokens in enumerate([*audio_out, 0]):
        meter.observe(response_done(f"r{n}", usage_block(audio_out=tokens)))
    assert not meter.has_estimates
    assert meter.estimated_usd == 0
    assert meter.total_usd == Decimal(sum(audio_out) * 64) / 1_000_000


def test_an_unpriced_estimate_alone_is_not_a_silent_zero() -> None:
    meter = CostMeter(strict=False)
    meter.observe(realtime_created("gpt-realtime"))
    meter.observe(append(SECOND))
    assert not meter.complete
    with pytest.raises(UnpricedModelError):
        _ = meter.total_usd
    assert meter.priced_usd == 0


def test_bundled_recording_is_priced_end_to_end() -> None:
    # The demo's recorded voice turn: the client asks for gpt-realtime-whisper in session.update
    # (the recorded session.updated does not echo it), then one response and one transcription.
    from pathlib import Path

    from realtime_kit.events import decode_client_event, decode_server_event

    path = Path(__file__).resolve().parents[2] / "examples" / "data" / "voice_turn.jsonl"
    meter = CostMeter()
    for raw in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        frame = json.dumps(record["frame"])
        if record["dir"] == "in":
            meter.observe(decode_client_event(frame))
        elif record["dir"] == "out":
            meter.observe(decode_server_event(frame))
    assert meter.transcription_model == "gpt-realtime-whisper"
    assert not meter.has_estimates
    # 26×4 + 14×32 + 40×24 + 16×64 per 1M, plus 2 s × $0.017/min
    assert meter.responses["resp_1"].usd == Decimal("0.002536")
    assert meter.total_usd == Decimal("0.002536") + Decimal("0.000566666667")


def test_session_update_of_each_kind_names_the_transcription_model() -> None:
    meter = CostMeter("gpt-realtime-translate")
    meter.observe(
        client(
            {
                "type": "session.update",
                "session": {
                    "audio": {"input": {"transcription": {"model": "gpt-realtime-whisper"}}}
                },
            }
        )
    )
    assert meter.transcription_model == "gpt-realtime-whisper"
    tx = CostMeter()
    tx.observe(
        client(
            {
                "type": "session.update",
                "session": {
                    "type": "transcription",
                    "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
                },
            }
        )
    )
    assert tx.transcription_model == "gpt-4o-transcribe"
    with pytest.raises(UnpricedModelError):
        tx.observe(
            client(
                {
                    "type": "session.update",
                    "session": {
                        "type": "realtime",
                        "audio": {"input": {"transcription": {"model": "whisper-1"}}},
                    },
                }
            )
        )
