"""Dollar budgets: thresholds that fire once each as spend grows.

A :class:`Budget` names a limit in USD and two earlier thresholds in percent of it: *warn* and
*wrap up*; *hard stop* is always 100 %. The meter feeds :class:`BudgetTracker` the running spend;
each threshold fires exactly once, in order, as a :class:`BudgetEvent`. The meter decides; the
high-level objects act (``Conversation`` asks the model to wrap up, then hangs up).

Imports only the standard library and ``realtime_kit.errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal, TypeAlias

from realtime_kit.errors import ConfigurationError

__all__ = ["BUDGET_LEVELS", "Budget", "BudgetEvent", "BudgetLevel", "BudgetTracker"]

BudgetLevel: TypeAlias = Literal["warn", "wrap_up", "hard_stop"]
BUDGET_LEVELS: Final[tuple[BudgetLevel, ...]] = ("warn", "wrap_up", "hard_stop")
_HUNDRED: Final = Decimal(100)


def _decimal(name: str, value: Decimal | int | str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise ConfigurationError(f"{name} must be a Decimal, int or decimal string, got {value!r}")
    try:
        result = Decimal(value)
    except ArithmeticError as exc:
        raise ConfigurationError(f"{name} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ConfigurationError(f"{name} must be finite, got {value!r}")
    return result


@dataclass(frozen=True, slots=True, init=False)
class Budget:
    """A session's dollar budget.

    Args:
        limit_usd: the hard-stop amount in USD (> 0). A string or int, never a float.
        warn_percent: percent of the limit at which ``warn`` fires (default 50).
        wrap_up_percent: percent at which ``wrap_up`` fires (default 80); must lie between
            ``warn_percent`` and 100.
        raise_on_hard_stop: when True, the ``observe()`` call that crosses 100 % raises
            :class:`~realtime_kit.errors.BudgetExceededError` after recording the usage and firing
            the callbacks. When False (default) the meter only reports; callers check
            ``meter.budget_exhausted`` or call ``meter.check_budget()``.

    Raises:
        ConfigurationError: a non-positive limit or thresholds out of order.
    """

    limit_usd: Decimal
    warn_percent: Decimal
    wrap_up_percent: Decimal
    raise_on_hard_stop: bool

    def __init__(
        self,
        limit_usd: Decimal | int | str,
        *,
        warn_percent: Decimal | int | str = 50,
        wrap_up_percent: Decimal | int | str = 80,
        raise_on_hard_stop: bool = False,
    ) -> None:
        limit = _decimal("limit_usd", limit_usd)
        warn = _decimal("warn_percent", warn_percent)
        wrap = _decimal("wrap_up_percent", wrap_up_percent)
        if limit <= 0:
            raise ConfigurationError(f"limit_usd must be positive, got {limit}")
        if not 0 < warn <= wrap <= _HUNDRED:
            raise ConfigurationError(
                "thresholds must satisfy 0 < warn_percent <= wrap_up_percent <= 100,"
                f" got warn={warn}, wrap_up={wrap}"
            )
        object.__setattr__(self, "limit_usd", limit)
        object.__setattr__(self, "warn_percent", warn)
        object.__setattr__(self, "wrap_up_percent", wrap)
        object.__setattr__(self, "raise_on_hard_stop", bool(raise_on_hard_stop))

    def threshold_usd(self, level: BudgetLevel) -> Decimal:
        """The spend at which ``level`` fires."""
        if level == "hard_stop":
            return self.limit_usd
        percent = self.warn_percent if level == "warn" else self.wrap_up_percent
        return self.limit_usd * percent / _HUNDRED


@dataclass(frozen=True, slots=True)
class BudgetEvent:
    """A threshold that was crossed: which one, the spend when it fired, and the budget."""

    level: BudgetLevel
    spent_usd: Decimal
    threshold_usd: Decimal
    limit_usd: Decimal
    includes_estimates: bool

    @property
    def percent(self) -> Decimal:
        """Spend as percent of the limit (two decimals)."""
        return (self.spent_usd * _HUNDRED / self.limit_usd).quantize(Decimal("0.01"))

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (money as strings)."""
        return {
            "level": self.level,
            "spent_usd": str(self.spent_usd),
            "threshold_usd": str(self.threshold_usd),
            "limit_usd": str(self.limit_usd),
            "percent": str(self.percent),
            "includes_estimates": self.includes_estimates,
        }


class BudgetTracker:
    """Fires each threshold of one :class:`Budget` once, in order, as spend grows."""

    __slots__ = ("_callbacks", "_fired", "_next", "_pending", "budget")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._fired: list[BudgetEvent] = []
        self._pending: list[BudgetEvent] = []
        self._callbacks: list[Callable[[BudgetEvent], object]] = []
        self._next = 0

    def add_callback(self, callback: Callable[[BudgetEvent], object]) -> None:
        """Call ``callback(event)`` for every threshold that fires from now on."""
        self._callbacks.append(callback)

    @property
    def fired(self) -> tuple[BudgetEvent, ...]:
        """Every event fired so far, in order."""
        return tuple(self._fired)

    @property
    def exhausted(self) -> bool:
        """True once the hard stop has fired."""
        return self._next == len(BUDGET_LEVELS)

    @property
    def next_threshold_usd(self) -> Decimal | None:
        """The spend at which the next event fires (None after the hard stop)."""
        if self.exhausted:
            return None
        return self.budget.threshold_usd(BUDGET_LEVELS[self._next])

    def drain(self) -> list[BudgetEvent]:
        """Events fired since the last drain (for a driver loop that acts on them)."""
        pending, self._pending = self._pending, []
        return pending

    def update(self, spent: Decimal, *, includes_estimates: bool) -> list[BudgetEvent]:
        """Fire every threshold that ``spent`` reaches; return the new events."""
        new: list[BudgetEvent] = []
        while self._next < len(BUDGET_LEVELS):
            level = BUDGET_LEVELS[self._next]
            threshold = self.budget.threshold_usd(level)
            if spent < threshold:
                break
            self._next += 1
            event = BudgetEvent(level, spent, threshold, self.budget.limit_usd, includes_estimates)
            new.append(event)
            self._fired.append(event)
            self._pending.append(event)
        for event in new:
            for callback in self._callbacks:
                callback(event)
        return new
