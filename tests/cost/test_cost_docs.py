"""The cost page's card table and worked example stay true to the code."""

from __future__ import annotations

import runpy
from decimal import Decimal
from pathlib import Path

import pytest

from realtime_kit.cost import PriceBook, cards_table

ROOT = Path(__file__).resolve().parents[2]


def test_docs_card_table_matches_the_shipped_cards() -> None:
    page = (ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
    start = page.index("<!-- cards-table:start -->\n") + len("<!-- cards-table:start -->\n")
    end = page.index("\n<!-- cards-table:end -->")
    assert page[start:end] == cards_table(PriceBook.default())


def test_worked_example_runs_and_matches_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "cost_meter.py"), run_name="__main__")
    out = capsys.readouterr().out
    page = (ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
    assert "while the answer streams: $0.00128 (estimate: True)" in out
    table = out.split("\n", 1)[1].rstrip("\n")
    assert table in page
    # The hand-computed total on the page.
    assert f"**{Decimal('0.0109416') + Decimal('0.001133333333')}**" in page
