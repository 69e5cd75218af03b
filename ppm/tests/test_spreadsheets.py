"""Cells for spreadsheets: text that a spreadsheet would run is neutralised, numbers are not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ppm.spreadsheets import csv_row


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("ERP-01", "ERP-01"),
        ("a=b", "a=b"),
    ],
)
def test_text_that_starts_like_a_formula_gets_a_quote(text, written):
    assert csv_row([text]) == [written]


def test_numbers_and_dates_are_written_as_they_are():
    assert csv_row([Decimal("-1500.50"), -12, None, date(2026, 3, 1)]) == [
        "-1500.50",
        "-12",
        "",
        "2026-03-01",
    ]
