"""Quote arithmetic against hand-computed cases: line discounts, 5 % and 0 % tax, fractional
quantities, half-cent rounding both ways, and the quote discount's rounding residue."""

import random
from decimal import Decimal as D

import pytest

from app.services import quote_math
from app.services.quote_math import Line, line_net, line_tax, quote_totals, share_discount


def test_two_units_at_5_percent_tax():
    # 2 x 100.00 = 200.00; tax 200.00 x 5 % = 10.00; total 210.00.
    totals = quote_totals([Line(D("2"), D("100.00"), tax_rate=D("5"))])
    assert (totals.subtotal, totals.tax_total, totals.total) == (
        D("200.00"),
        D("10.00"),
        D("210.00"),
    )


def test_a_line_discount_is_rounded_per_line_then_taxed():
    # 3 x 19.99 = 59.97; less 10 % = 53.973 -> 53.97; tax 53.97 x 5 % = 2.6985 -> 2.70.
    totals = quote_totals([Line(D("3"), D("19.99"), D("10"), D("5"))])
    line = totals.lines[0]
    assert (line.net, line.tax, line.total) == (D("53.97"), D("2.70"), D("56.67"))
    assert totals.total == D("56.67")


def test_zero_percent_tax_adds_nothing():
    totals = quote_totals([Line(D("1"), D("1234.56"), tax_rate=D("0"))])
    assert (totals.subtotal, totals.tax_total, totals.total) == (
        D("1234.56"),
        D("0.00"),
        D("1234.56"),
    )


def test_a_fractional_quantity_rounds_half_up_on_the_net():
    # 1.5 x 33.33 = 49.995 -> 50.00 (half-up; half-even would also say 50.00 here).
    assert line_net("1.5", "33.33") == D("50.00")
    # 0.125 x 0.20 = 0.025 -> 0.03 (half-up; half-even would say 0.02).
    assert line_net("0.125", "0.20") == D("0.03")
    # 2.345 x 1.00 = 2.345 -> 2.35; 0.333 x 10.00 = 3.33 exactly.
    assert line_net("2.345", "1.00") == D("2.35")
    assert line_net("0.333", "10.00") == D("3.33")


def test_half_cents_of_tax_round_up_and_less_than_half_rounds_down():
    assert line_tax(D("10.10"), D("5")) == D("0.51")  # 0.505 -> 0.51
    assert line_tax(D("10.09"), D("5")) == D("0.50")  # 0.5045 -> 0.50
    assert line_tax(D("0.09"), D("5")) == D("0.00")  # 0.0045 -> 0.00
    assert line_tax(D("0.10"), D("5")) == D("0.01")  # 0.005 -> 0.01


def test_a_discount_with_decimals():
    # 1 x 99.99 less 12.5 % = 87.49125 -> 87.49; tax 87.49 x 5 % = 4.3745 -> 4.37.
    line = quote_totals([Line(D("1"), D("99.99"), D("12.5"), D("5"))]).lines[0]
    assert (line.net, line.tax) == (D("87.49"), D("4.37"))


def test_a_hundred_percent_discount_leaves_nothing():
    totals = quote_totals([Line(D("4"), D("250.00"), D("100"), D("5"))])
    assert (totals.subtotal, totals.tax_total, totals.total) == (D("0.00"), D("0.00"), D("0.00"))


def test_mixed_quote_with_5_and_0_percent_tax():
    lines = [
        Line(D("10"), D("1200.00"), D("15"), D("5")),  # 12000 less 15 % = 10200.00; tax 510.00
        Line(D("2.5"), D("1800.00"), tax_rate=D("5")),  # 4500.00; tax 225.00
        Line(D("1"), D("3000.00"), tax_rate=D("0")),  # export service: 3000.00, no tax
    ]
    totals = quote_totals(lines)
    assert [line.net for line in totals.lines] == [D("10200.00"), D("4500.00"), D("3000.00")]
    assert [line.tax for line in totals.lines] == [D("510.00"), D("225.00"), D("0.00")]
    assert (totals.subtotal, totals.discount, totals.tax_total, totals.total) == (
        D("17700.00"),
        D("0.00"),
        D("735.00"),
        D("18435.00"),
    )


def test_a_quote_discount_puts_its_rounding_residue_on_the_largest_line():
    # Nets 200.00, 10.01, 10.01 (subtotal 220.02); quote discount 50 % = 110.01.
    # Shares 100.00, 5.005 -> 5.01, 5.01 add up to 110.02: the -0.01 residue goes on the
    # largest line, whose share becomes 99.99.
    lines = [
        Line(D("2"), D("100.00"), tax_rate=D("5")),
        Line(D("1"), D("10.01"), tax_rate=D("5")),
        Line(D("1"), D("10.01"), tax_rate=D("0")),
    ]
    totals = quote_totals(lines, discount_percent=D("50"))
    assert [line.quote_discount for line in totals.lines] == [D("99.99"), D("5.01"), D("5.01")]
    assert totals.discount == D("110.01")
    # Taxed after the discount: 100.01 x 5 % = 5.0005 -> 5.00; 5.00 x 5 % = 0.25; 0 %.
    assert [line.tax for line in totals.lines] == [D("5.00"), D("0.25"), D("0.00")]
    assert (totals.subtotal, totals.net_total, totals.tax_total, totals.total) == (
        D("220.02"),
        D("110.01"),
        D("5.25"),
        D("115.26"),
    )
    assert sum(line.total for line in totals.lines) == totals.total


def test_a_positive_residue_goes_to_the_first_of_equal_largest_lines():
    # 3 x 0.01 at 40 %: each share 0.004 -> 0.00; the discount 0.012 -> 0.01 lands on line 1.
    assert share_discount([D("0.01")] * 3, D("40")) == [D("0.01"), D("0.00"), D("0.00")]


def test_a_residue_too_big_for_one_line_spills_to_the_next():
    # 5 x 0.01 at 45 %: shares 0.0045 -> 0.00; the discount 0.0225 -> 0.02 cannot all go on
    # one line of 0.01, so the second line takes the other cent.
    shares = share_discount([D("0.01")] * 5, D("45"))
    assert shares == [D("0.01"), D("0.01"), D("0.00"), D("0.00"), D("0.00")]


def test_totals_always_equal_the_sums_of_their_lines():
    rng = random.Random(7)
    for _ in range(200):
        lines = [
            Line(
                D(rng.randint(1, 5000)) / 1000,
                D(rng.randint(0, 500_000)) / 100,
                D(rng.choice(["0", "5", "10", "12.5", "33.33"])),
                D(rng.choice(["0", "5"])),
            )
            for _ in range(rng.randint(1, 8))
        ]
        percent = D(rng.choice(["0", "3", "7.5", "15", "99.99"]))
        totals = quote_totals(lines, percent)
        assert sum(line.quote_discount for line in totals.lines) == totals.discount
        assert totals.discount == quote_math.to_cents(totals.subtotal * percent / 100)
        assert all(0 <= line.quote_discount <= line.net for line in totals.lines)
        assert sum(line.total for line in totals.lines) == totals.total


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (lambda: Line(D("0"), D("1.00")), "quantity must be more than 0"),
        (lambda: Line(D("1.2345"), D("1.00")), "quantity may have at most 3 decimals"),
        (lambda: Line(D("1"), D("-1.00")), "unit price must be at least 0"),
        (lambda: Line(D("1"), D("1.001")), "unit price may have at most 2 decimals"),
        (lambda: Line(D("1"), D("1.00"), D("100.01")), "discount must be at most 100"),
        (lambda: Line(D("1"), D("1.00"), D("-5")), "discount must be at least 0"),
        (lambda: Line(D("1"), D("1.00"), tax_rate=D("101")), "tax rate must be at most 100"),
        (lambda: Line(1.5, D("1.00")), "not float"),
        (lambda: Line("abc", D("1.00")), "quantity must be a number"),
        (lambda: Line(D("NaN"), D("1.00")), "quantity must be a finite number"),
        (lambda: quote_totals([Line(1, 1)], D("150")), "quote discount must be at most 100"),
    ],
)
def test_bad_inputs_are_refused_with_a_message(line, message):
    with pytest.raises(ValueError, match=message):
        line()


def test_text_and_integer_inputs_are_read_exactly():
    assert line_net("3", "0.10", "0") == D("0.30")
    assert line_net(3, "1,000.00") == D("3000.00")
