import pytest

from chorus_pro_dilifac.lib.dilifac_naming import invoice_file_name


def test_default_name_replaces_slashes_and_spaces():
    assert invoice_file_name("R123", "FA 2025/001") == "FAC_R123_FA-2025-001.xml"


def test_name_is_ascii_only():
    name = invoice_file_name("Rév 1", "Facture n°2025:É1")
    assert name == "FAC_Rev-1_Facture-n2025-E1.xml"
    assert name.isascii()


def test_ligatures_are_transliterated_like_every_other_file_name():
    assert invoice_file_name("R1", "Œuvres 2026/1") == "FAC_R1_OEuvres-2026-1.xml"


def test_attempt_suffix_from_the_second_attempt():
    assert invoice_file_name("R1", "F1", attempt=1) == "FAC_R1_F1.xml"
    assert invoice_file_name("R1", "F1", attempt=2) == "FAC_R1_F1_2.xml"


def test_template_is_configurable():
    template = "{reseller_id}-{invoice_number}-{attempt}.ubl.xml"
    assert invoice_file_name("R1", "F/1", template=template) == "R1-F-1-1.ubl.xml"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("R1", "F1"), {"template": "FAC_{unknown}.xml"}),
        (("R1", "F1"), {"template": "{invoice_number}.tmp"}),
        (("R1", "F1"), {"template": "dir/{invoice_number}.xml"}),
        (("R1", "F1"), {"attempt": 0}),
        (("R1", "€€"), {}),
    ],
)
def test_unusable_names_are_refused(args, kwargs):
    with pytest.raises(ValueError):
        invoice_file_name(*args, **kwargs)
