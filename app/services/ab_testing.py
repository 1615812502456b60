"""A/B test statistics for web form variants: conversion rates and a two-proportion z-test
of each variant against the first one (the control). Pure computations: no Flask, no
database, no scipy (the normal distribution comes from math.erfc).

When is a difference called significant? Only when both variants have enough data for the
normal approximation the z-test relies on, and the two-sided p-value is below 0.05:

- each of the two variants has at least MIN_VIEWS (100) views, and
- together they have at least MIN_CONVERSIONS (10) submissions and at least
  MIN_CONVERSIONS views that did not convert.

Below that the verdict is "not enough data", whatever the p-value says: a 2/10 vs 0/10
result has a small p-value and means nothing. This is a fixed-horizon test: looking at it
every day and stopping at the first "significant" inflates false positives, which the
results panel says in words.
"""

from __future__ import annotations

import dataclasses
import enum
import math

MIN_VIEWS = 100
MIN_CONVERSIONS = 10
ALPHA = 0.05


class Verdict(enum.Enum):
    BASELINE = "baseline"  # the first variant, which the others are compared with
    NOT_ENOUGH_DATA = "not_enough_data"
    NOT_SIGNIFICANT = "not_significant"
    SIGNIFICANT = "significant"


@dataclasses.dataclass(frozen=True)
class VariantResult:
    """One variant's figures and, for all but the first, its comparison with the first."""

    name: str
    views: int
    submissions: int
    rate: float | None  # submissions / views; None without views
    difference: float | None = None  # rate - the first variant's rate (absolute)
    z: float | None = None
    p_value: float | None = None
    verdict: Verdict = Verdict.BASELINE


def conversion_rate(views: int, submissions: int) -> float | None:
    """Submissions per view, or None when nobody saw the variant. More submissions than
    views (a form posted without its page being counted) is capped at 1."""
    if views <= 0:
        return None
    return min(1.0, max(0, submissions) / views)


def normal_p_value(z: float) -> float:
    """The two-sided p-value of a standard normal statistic: P(|Z| >= |z|)."""
    return math.erfc(abs(z) / math.sqrt(2))


def z_test(views_a: int, conv_a: int, views_b: int, conv_b: int) -> tuple[float, float] | None:
    """The pooled two-proportion z-test of B against A: (z, two-sided p-value); z > 0 when
    B converts better. None when undefined (no views, or everyone or no one converted)."""
    if views_a <= 0 or views_b <= 0:
        return None
    conv_a, conv_b = min(max(conv_a, 0), views_a), min(max(conv_b, 0), views_b)
    pooled = (conv_a + conv_b) / (views_a + views_b)
    variance = pooled * (1 - pooled) * (1 / views_a + 1 / views_b)
    if variance <= 0:
        return None
    z = (conv_b / views_b - conv_a / views_a) / math.sqrt(variance)
    return z, normal_p_value(z)


def enough_data(views_a: int, conv_a: int, views_b: int, conv_b: int) -> bool:
    """Whether the pair has the minimums documented above."""
    conversions = conv_a + conv_b
    failures = views_a + views_b - conversions
    return (
        min(views_a, views_b) >= MIN_VIEWS
        and conversions >= MIN_CONVERSIONS
        and failures >= MIN_CONVERSIONS
    )


def compare(variants: list[tuple[str, int, int]]) -> list[VariantResult]:
    """Results for (name, views, submissions) triples, the first being the control."""
    if not variants:
        return []
    base_name, base_views, base_conv = variants[0]
    base_rate = conversion_rate(base_views, base_conv)
    results = [VariantResult(base_name, base_views, base_conv, base_rate)]
    for name, views, conv in variants[1:]:
        rate = conversion_rate(views, conv)
        difference = rate - base_rate if rate is not None and base_rate is not None else None
        test = z_test(base_views, base_conv, views, conv)
        z, p = test if test is not None else (None, None)
        if not enough_data(base_views, base_conv, views, conv) or p is None:
            verdict = Verdict.NOT_ENOUGH_DATA
        elif p < ALPHA:
            verdict = Verdict.SIGNIFICANT
        else:
            verdict = Verdict.NOT_SIGNIFICANT
        results.append(VariantResult(name, views, conv, rate, difference, z, p, verdict))
    return results
