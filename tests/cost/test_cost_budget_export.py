"""Budgets (each threshold fires once), exports (dict, JSON, table) and metrics hooks."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime_kit.cost import (
    Budget,
    BudgetEvent,
    CostMeter,
    CostUpdate,
    TokenUsage,
    otel_metrics_hook,
)
from realtime_kit.errors import BudgetExceededError, ConfigurationError, MissingExtraError
from tests.cost.cost_events import (
    append,
    realtime_created,
    response_created,
    response_done,
    usage_block,
)


def three_cents(response_id: str) -> object:
    return response_done(response_id, usage_block(text_out=1_250))  # 1250 × $24/1M = $0.03


def test_each_threshold_fires_once_in_order() -> None:
    seen: list[BudgetEvent] = []
    meter = CostMeter(
        "gpt-realtime-2",
        budget=Budget("0.10", warn_percent=50, wrap_up_percent=80),
        on_budget=seen.append,
    )
    meter.observe(three_cents("r1"))
    assert seen == []
    meter.observe(three_cents("r2"))  # $0.06 ≥ 50 %
    assert [e.level for e in seen] == ["warn"]
    assert seen[0].spent_usd == Decimal("0.06")
    assert seen[0].threshold_usd == Decimal("0.05")
    assert seen[0].percent == Decimal("60.00")
    meter.observe(three_cents("r3"))  # $0.09 ≥ 80 %
    assert [e.level for e in seen] == ["warn", "wrap_up"]
    assert not meter.budget_exhausted
    meter.check_budget()
    meter.observe(three_cents("r4"))  # $0.12 ≥ 100 %
    meter.observe(three_cents("r5"))
    assert [e.level for e in seen] == ["warn", "wrap_up", "hard_stop"]
    assert meter.budget_exhausted
    assert [e.level for e in meter.budget_events] == ["warn", "wrap_up", "hard_stop"]
    assert [e.level for e in meter.drain_budget_events()] == ["warn", "wrap_up", "hard_stop"]
    assert meter.drain_budget_events() == []
    with pytest.raises(BudgetExceededError) as info:
        meter.check_budget()
    assert info.value.budget == Decimal("0.10")
    assert info.value.spent == Decimal("0.15")


def test_one_big_response_fires_every_crossed_threshold() -> None:
    meter = CostMeter("gpt-realtime-2", budget=Budget(Decimal("0.02")))
    meter.observe(three_cents("r1"))
    assert [e.level for e in meter.drain_budget_events()] == ["warn", "wrap_up", "hard_stop"]


def test_raise_on_hard_stop_raises_after_recording() -> None:
    meter = CostMeter("gpt-realtime-2", budget=Budget("0.05", raise_on_hard_stop=True))
    meter.observe(three_cents("r1"))
    with pytest.raises(BudgetExceededError):
        meter.observe(three_cents("r2"))
    assert meter.total_usd == Decimal("0.06")  # the usage was recorded before raising
    meter.observe(three_cents("r3"))  # fires once: later events do not raise again
    assert meter.total_usd == Decimal("0.09")


def test_estimates_count_toward_the_budget_and_are_flagged() -> None:
    meter = CostMeter("gpt-realtime-2", budget=Budget("0.001", warn_percent=10))
    meter.observe(append(48_000))  # 1 s → 10 tokens × $32/1M = $0.00032 (estimate)
    (event,) = meter.drain_budget_events()
    assert event.level == "warn"
    assert event.includes_estimates
    assert event.to_dict()["includes_estimates"] is True


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("0",), {}),
        (("-1",), {}),
        ((1.5,), {}),
        (("x",), {}),
        (("inf",), {}),
        (("1",), {"warn_percent": 90, "wrap_up_percent": 80}),
        (("1",), {"warn_percent": 0}),
        (("1",), {"wrap_up_percent": 101}),
    ],
)
def test_budget_validation(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Budget(*args, **kwargs)  # type: ignore[arg-type]


def test_budget_callback_needs_a_budget() -> None:
    with pytest.raises(ConfigurationError, match="no budget"):
        CostMeter("gpt-realtime-2", on_budget=print)
    meter = CostMeter("gpt-realtime-2")
    assert meter.budget is None
    assert meter.drain_budget_events() == []
    meter.check_budget()


def build_meter() -> CostMeter:
    meter = CostMeter(
        transcription_model="gpt-live-transcribe", budget=Budget("0.10", warn_percent=1)
    )
    meter.observe(realtime_created("gpt-realtime-2"))
    meter.observe(append(48_000 * 30))
    meter.observe(response_created("resp_1"))
    meter.observe(
        response_done("resp_1", usage_block(text_in=59, audio_in=73, cached_audio=64, text_out=41))
    )
    meter.observe(append(48_000))
    return meter


def test_to_dict_is_json_ready_and_exact() -> None:
    meter = build_meter()
    data = json.loads(meter.to_json())
    assert data == meter.to_dict()
    assert data["model"] == "gpt-realtime-2"
    assert data["complete"] is True
    assert data["tokens"] == {
        "text_input": 59,
        "audio_input": 9,
        "cached_audio_input": 64,
        "text_output": 41,
    }
    # 59×4 + 9×32 + 64×0.40 + 41×24 per 1M
    assert Decimal(data["actual_usd"]) == Decimal("0.0015336")
    assert Decimal(data["estimated_usd"]) == Decimal("0.00032")
    assert data["responses"] == {"resp_1": {"model": "gpt-realtime-2", "usd": "0.0015336"}}
    (session,) = data["sessions"]
    assert session["session_id"] == "sess_1"
    assert {line["rate"] for line in session["lines"]} == {
        "text_input",
        "audio_input",
        "cached_audio_input",
        "text_output",
    }
    assert session["estimates"][0]["estimate"] is True
    assert data["budget"]["events"][0]["level"] == "warn"
    assert Decimal(data["conversation_seconds"]) == 31


def test_table_is_readable() -> None:
    text = str(build_meter())
    assert "cached_audio_input" in text
    assert "audio_input (est.)" in text
    assert "total: $0.001854" in text
    assert "of which estimated: $0.000320" in text
    assert "projected $" in text
    assert "budget: $0.10 (fired: warn)" in text


def test_metrics_hook_sees_actual_usage_only() -> None:
    updates: list[CostUpdate] = []
    meter = CostMeter("gpt-realtime-2")
    meter.add_metrics_hook(updates.append)
    meter.observe(realtime_created("gpt-realtime-2"))
    meter.observe(append(48_000))
    assert updates == []  # estimates do not reach the hook
    meter.observe(response_done("r1", usage_block(text_out=1_000)))
    (update,) = updates
    assert update.source == "response"
    assert update.response_id == "r1"
    assert update.session_id == "sess_1"
    assert update.charges is not None
    assert update.charges.total == Decimal("0.024")


def test_otel_hook_records_counters() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    meter = CostMeter("gpt-realtime-translate")
    meter.add_metrics_hook(otel_metrics_hook(provider))
    meter.record_input_audio(48_000 * 60)
    other = CostMeter("gpt-realtime-2")
    other.add_metrics_hook(otel_metrics_hook(provider))
    other.record_response_usage("r", TokenUsage(text_output=1_000))
    data = reader.get_metrics_data()
    points: dict[tuple[str, str], float] = {}
    for resource_metrics in data.resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    points[(metric.name, str(point.attributes["rate"]))] = point.value
    assert points[("realtime_kit.cost.seconds", "minute")] == pytest.approx(60.0)
    assert points[("realtime_kit.cost.usd", "minute")] == pytest.approx(0.034)
    assert points[("realtime_kit.cost.tokens", "text_output")] == 1_000
    assert points[("realtime_kit.cost.usd", "text_output")] == pytest.approx(0.024)
    provider.shutdown()


def test_otel_hook_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(MissingExtraError) as info:
        otel_metrics_hook()
    assert info.value.extra == "otel"


def test_root_reexports_the_cost_meter() -> None:
    import realtime_kit
    from realtime_kit import cost

    for name in ("CostMeter", "PriceBook", "PriceCard", "Budget", "BudgetEvent"):
        assert getattr(realtime_kit, name) is getattr(cost, name)
        assert name in realtime_kit.__all__
    for name in cost.__all__:
        assert hasattr(cost, name), name


@settings(max_examples=60)
@given(
    frames=st.lists(st.integers(min_value=1, max_value=48_000), min_size=1, max_size=60),
    limit=st.integers(min_value=1, max_value=4_000).map(lambda n: Decimal(n).scaleb(-6)),
    model=st.sampled_from(["gpt-realtime-2", "gpt-realtime-2.1-mini", "gpt-realtime-translate"]),
    with_output=st.booleans(),
)
def test_thresholds_fire_on_exactly_the_frame_that_crosses_them(
    frames: list[int], limit: Decimal, model: str, with_output: bool
) -> None:
    # The meter skips re-pricing while a frame cannot reach the next threshold; whatever the
    # frame sizes, a threshold must fire on the very frame whose spend reaches it.
    budget = Budget(limit, warn_percent=30, wrap_up_percent=70)
    meter = CostMeter(model, budget=budget)
    meter.record_response_created("r")
    for nbytes in frames:
        if with_output and model != "gpt-realtime-translate":
            meter.record_output_audio("r", nbytes)
        else:
            meter.record_input_audio(nbytes)
        spent = meter.priced_usd
        fired = {event.level for event in meter.budget_events}
        for level in ("warn", "wrap_up", "hard_stop"):
            assert (level in fired) == (spent >= budget.threshold_usd(level)), (level, spent)
