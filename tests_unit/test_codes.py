"""Codes written in the documents: unit prices, VAT exemption reasons, legal mentions."""

import pytest

from chorus_pro_dilifac.lib.codes import (
    NOTE_SUBJECT_CODES,
    VATEX_CATEGORY,
    VATEX_DEFAULT_TEXT,
    unit_price_repr,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        (8.5, "8.50"),
        (9.4444444444, "9.444444"),  # Odoo's 10 decimals, cut to the 6 the French rules allow
        (0.125, "0.125"),
        (1234567.89, "1234567.89"),
        (-0.0000001, "0.00"),  # never "-0.00"
        (100, "100.00"),
    ],
)
def test_unit_price_has_at_most_six_decimals(value, expected):
    assert unit_price_repr(value) == expected


def test_each_exemption_code_has_its_category_and_a_text():
    assert VATEX_CATEGORY["VATEX-FR-FRANCHISE"] == "E"
    assert VATEX_CATEGORY["VATEX-EU-IC"] == "K"
    assert VATEX_CATEGORY["VATEX-EU-G"] == "G"
    assert "293 B" in VATEX_DEFAULT_TEXT["VATEX-FR-FRANCHISE"]
    assert all(VATEX_DEFAULT_TEXT.values())


def test_the_three_mandatory_mentions():
    assert NOTE_SUBJECT_CODES == ("PMT", "PMD", "AAB")
