"""File names deposited on Chorus Pro: ASCII, deterministic, at most 50 characters."""

import re

import pytest

from chorus_pro_dilifac.lib.filenames import MAX_LENGTH, chorus_file_name, safe_file_name

UBL = "IN_DP_E1_UBL_INVOICE"
CII = "IN_DP_E1_CII_16B"
FACTURX = "IN_DP_E2_CII_FACTURX"
SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


@pytest.mark.parametrize(
    "number, syntax, attempt, expected",
    [
        ("FAC-2026-00012", UBL, 1, "UBL_FAC-2026-00012.xml"),
        ("FAC-2026-00012", CII, 1, "CII_FAC-2026-00012.xml"),
        ("FAC-2026-00012", FACTURX, 1, "FX_FAC-2026-00012.pdf"),
        ("FAC/2026/00012", UBL, 1, "UBL_FAC-2026-00012.xml"),
        ("Fac 2026 / émise n°12", CII, 1, "CII_Fac-2026-emise-n12.xml"),
        ("Œuvre Ærée ß", UBL, 1, "UBL_OEuvre-AEree-ss.xml"),
        ("FAC 2026/00012", FACTURX, 3, "FX_FAC-2026-00012_3.pdf"),
        ("  /FAC:*?12\\ ", UBL, 1, "UBL_FAC-12.xml"),
    ],
)
def test_chorus_file_name(number, syntax, attempt, expected):
    assert chorus_file_name(number, syntax, attempt) == expected


def test_long_numbers_are_cut_keeping_prefix_suffix_and_extension():
    name = chorus_file_name("FAC-" + "9" * 80, UBL, attempt=12)
    assert len(name) == MAX_LENGTH
    assert name.startswith("UBL_FAC-999") and name.endswith("_12.xml")
    assert SAFE.match(name)


def test_cut_never_leaves_a_dangling_separator():
    name = safe_file_name("A" * 45 + "-B", ".pdf")
    assert name == "A" * 45 + ".pdf"


def test_deterministic():
    assert chorus_file_name("Été 2026/1", FACTURX) == chorus_file_name("Été 2026/1", FACTURX)


@pytest.mark.parametrize(
    "number, syntax, attempt",
    [("FAC-1", "IN_DP_E2_CPP_FACTURE_MIN", 1), ("///", UBL, 1), ("", UBL, 1), ("FAC-1", UBL, 0)],
)
def test_invalid_input(number, syntax, attempt):
    with pytest.raises(ValueError):
        chorus_file_name(number, syntax, attempt)
