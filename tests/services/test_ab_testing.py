"""A/B statistics, checked against values computed by hand: conversion rates, the pooled
two-proportion z-test, and when a difference may be called significant."""

import math

import pytest

from app.services import ab_testing
from app.services.ab_testing import Verdict


def test_conversion_rate_is_submissions_per_view_and_undefined_without_views():
    assert ab_testing.conversion_rate(1000, 200) == 0.2
    assert ab_testing.conversion_rate(0, 0) is None
    assert ab_testing.conversion_rate(10, 12) == 1.0  # posts without a counted view


def test_z_test_matches_the_hand_computed_example():
    # p_pool = 450/2000 = 0.225; se = sqrt(0.225 * 0.775 * (1/1000 + 1/1000)) = 0.018675
    # z = (0.25 - 0.20) / 0.018675 = 2.6774; p = 2 * (1 - Phi(2.6774)) = 0.00742
    z, p = ab_testing.z_test(1000, 200, 1000, 250)
    assert z == pytest.approx(2.6774, abs=1e-4)
    assert p == pytest.approx(0.00742, abs=1e-5)


def test_z_is_negative_when_b_converts_worse_and_the_p_value_is_symmetric():
    z, p = ab_testing.z_test(1000, 250, 1000, 200)
    assert z == pytest.approx(-2.6774, abs=1e-4)
    assert p == pytest.approx(0.00742, abs=1e-5)


@pytest.mark.parametrize(("z", "p"), [(0, 1.0), (1.959964, 0.05), (2.575829, 0.01)])
def test_normal_p_values_at_known_points(z, p):
    assert ab_testing.normal_p_value(z) == pytest.approx(p, abs=1e-6)


def test_the_z_test_is_undefined_without_views_or_variation():
    assert ab_testing.z_test(0, 0, 100, 10) is None
    assert ab_testing.z_test(100, 0, 100, 0) is None
    assert ab_testing.z_test(100, 100, 100, 100) is None


def test_compare_gives_difference_p_value_and_verdict_against_the_first():
    a, b, c = ab_testing.compare([("A", 1000, 200), ("B", 1000, 250), ("C", 1000, 210)])
    assert (a.verdict, a.difference, a.p_value) == (Verdict.BASELINE, None, None)
    assert b.difference == pytest.approx(0.05)
    assert b.verdict is Verdict.SIGNIFICANT
    assert c.difference == pytest.approx(0.01)
    assert c.p_value > 0.05 and c.verdict is Verdict.NOT_SIGNIFICANT


def test_small_samples_are_not_enough_data_even_with_a_small_p_value():
    # 20 % vs 0 % on 30 views each: p ~ 0.01, yet far too little to call.
    _a, b = ab_testing.compare([("A", 30, 6), ("B", 30, 0)])
    assert b.p_value < 0.05
    assert b.verdict is Verdict.NOT_ENOUGH_DATA
    # Enough views but too few submissions in total.
    _a, b = ab_testing.compare([("A", 500, 1), ("B", 500, 8)])
    assert b.verdict is Verdict.NOT_ENOUGH_DATA


def test_the_minimums_are_inclusive():
    assert ab_testing.enough_data(100, 5, 100, 5)
    assert not ab_testing.enough_data(99, 5, 100, 5)
    assert not ab_testing.enough_data(100, 4, 100, 5)


def test_a_variant_without_views_has_no_rate_and_not_enough_data():
    _a, b = ab_testing.compare([("A", 500, 50), ("B", 0, 0)])
    assert b.rate is None and b.difference is None and b.p_value is None
    assert b.verdict is Verdict.NOT_ENOUGH_DATA
    assert ab_testing.compare([]) == []


def test_p_value_comes_from_the_error_function():
    assert ab_testing.normal_p_value(2.0) == pytest.approx(1 - math.erf(2 / math.sqrt(2)))
