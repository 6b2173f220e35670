"""Accounts: plan, limits, balance and spend, and the buckets that meter them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .assumptions import CENT, CUSTOM_LIMIT_FIELDS, ENTERPRISE_DEFAULT_LIMITS, MAX_BALANCE_USD
from .errors import InvalidParameter
from .facts import PLAN_LIMITS, PLANS, Kind, Limits
from .ratelimit import Bucket


@dataclass(eq=False)
class Account:
    """One API key's account. Accounts never see each other's jobs or media."""

    api_key: str
    plan: str
    limits: Limits
    balance: Decimal
    created_at: float
    spent: Decimal = Decimal("0")
    refunded: Decimal = Decimal("0")
    # Seconds this account's clock runs ahead of the fake's: a shared server lets one test
    # move its own time without moving anybody else's.
    offset: float = 0.0
    # Its requests a scenario was asked about: a frozen run's rules match on this ordinal.
    offered: int = 0
    # (due, job seq, job id) of its videos still processing, soonest first (a heap).
    pending: list[tuple[float, int, str]] = field(default_factory=list)
    buckets: dict[Kind, Bucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.buckets = {
            Kind.IMAGE: Bucket(self.limits.image_rpm),
            Kind.VIDEO: Bucket(self.limits.video_rpm),
        }

    @property
    def processing(self) -> int:
        """Video jobs still processing: what the concurrent-jobs limit counts."""
        return len(self.pending)

    def charge(self, amount: Decimal) -> None:
        """Take the full price when a request is accepted (decision 8)."""
        self.balance -= amount
        self.spent += amount

    def refund(self, amount: Decimal) -> None:
        """Give back the price of a video that failed (decision 8)."""
        self.balance += amount
        self.spent -= amount
        self.refunded += amount


def plan_limits(plan: str, custom: Mapping[str, Any] | None = None) -> tuple[str, Limits]:
    """Resolve a plan name and any Enterprise custom limits (decisions 21, 24).

    Raises:
        InvalidParameter: unknown plan, custom limits on a non-Enterprise plan, or a custom
            limit that is not a positive integer.
    """
    if not isinstance(plan, str) or plan.lower() not in PLAN_LIMITS:
        choices = ", ".join(PLANS)
        raise InvalidParameter("plan", f"plan must be one of {choices}; got {plan!r}")
    name = plan.lower()
    given = {k: v for k, v in (custom or {}).items() if v is not None}
    fixed = PLAN_LIMITS[name]
    if fixed is not None:
        if given:
            field_name = next(iter(given))
            raise InvalidParameter(
                field_name, f"{field_name} can only be set on the enterprise plan, not {name}"
            )
        return name, fixed
    values = {}
    for key in CUSTOM_LIMIT_FIELDS:
        value = given.get(key, getattr(ENTERPRISE_DEFAULT_LIMITS, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidParameter(key, f"{key} must be a positive integer; got {value!r}")
        values[key] = value
    unknown = set(given) - set(CUSTOM_LIMIT_FIELDS)
    if unknown:
        field_name = sorted(unknown)[0]
        raise InvalidParameter(field_name, f"Unknown limit '{field_name}'")
    return name, Limits(**values)


def parse_usd(value: Any, field_name: str = "balance_usd") -> Decimal:
    """Money from JSON or the command line, exact to the cent; never a float's drift."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidParameter(field_name, f"{field_name} must be a number; got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidParameter(field_name, f"{field_name} must be a number; got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidParameter(field_name, f"{field_name} must be zero or more; got {value!r}")
    if amount > MAX_BALANCE_USD:
        raise InvalidParameter(field_name, f"{field_name} must be at most {MAX_BALANCE_USD}; got {value!r}")
    if amount != amount.quantize(CENT):
        raise InvalidParameter(field_name, f"{field_name} must be whole cents; got {value!r}")
    return amount.quantize(CENT)
