"""The Chorus Pro portal "XML mixte" file (CPPFactureMixte): layout, formatting, round trip."""

import base64
import zipfile
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from lxml import etree

from chorus_pro_dilifac.lib import portal_file as pf

XSI = "http://www.w3.org/2001/XMLSchema-instance"
SUPPLIER = pf.PortalSupplier(identifier="73282932000074", name="Librairie du Centre")


def _invoice(index, **overrides):
    values = dict(
        number=f"FAC-2026-{index:05d}",
        type_code="380",
        issue_date=date(2026, 11, index),
        supplier=SUPPLIER,
        buyer=pf.PortalBuyer(
            identifier="11000201100044",
            name="Mediatheque municipale",
            service_code="SERV-LECTURE",
            service_name="Service lecture publique",
        ),
        amount_untaxed=828.43,
        amount_total=873.99,
        amount_due=873.99,
        vat_lines=[pf.PortalVatLine(rate=5.5, base=828.43, amount=45.56)],
        payment_means_code="01",
        engagement_number="EJ-2026-0042",
        market_number="MARCHE-2026-07",
        pdf_name=f"FX_FAC-2026-{index:05d}.pdf",
        pdf_bytes=b"%PDF-1.7\n" + bytes(range(256)) * index + b"\n%%EOF\n",
    )
    values.update(overrides)
    return pf.PortalInvoice(**values)


def _build(invoices):
    return pf.build_portal_file(invoices, production_date=date(2026, 11, 24), flow_id="1000000042")


def test_three_invoices_round_trip():
    invoices = [_invoice(1), _invoice(2, type_code="381", payment_means_code=""), _invoice(3)]
    parsed = pf.parse_portal_file(_build(invoices))

    assert [p.num_ordre for p in parsed] == [1, 2, 3]
    for original, back in zip(invoices, parsed, strict=True):
        assert back.pdf_bytes == original.pdf_bytes
        assert back.pdf_name == original.pdf_name
        assert back.number == original.number
        assert back.type_code == original.type_code
        assert back.issue_date == original.issue_date
        assert back.payment_means_code == original.payment_means_code
        assert back.supplier == original.supplier
        assert back.buyer == original.buyer
        assert (back.amount_untaxed, back.amount_total, back.amount_due) == (
            Decimal("828.43"),
            Decimal("873.99"),
            Decimal("873.99"),
        )
        assert back.vat_lines == [
            pf.PortalVatLine(rate=Decimal("5.5"), base=Decimal("828.43"), amount=Decimal("45.56"))
        ]
        assert (back.engagement_number, back.market_number) == ("EJ-2026-0042", "MARCHE-2026-07")
        assert (back.cadre, back.currency) == ("A1", "EUR")
        assert (back.pj_type, back.pj_mime_type) == ("01", "application/pdf")


def test_layout_matches_the_fixture():
    data = _build([_invoice(1), _invoice(2), _invoice(3)])
    assert data.startswith(
        b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
        b'<?xml-stylesheet type="text/xsl" href="FSO1113A.xsl"?>\n<CPPFactureMixte '
    )
    root = etree.fromstring(data)
    assert root.tag == "CPPFactureMixte"  # no namespace
    assert root.get(f"{{{XSI}}}noNamespaceSchemaLocation") == "CPPFactureMixte_V1.14.xsd"
    assert [child.tag for child in root] == ["Enveloppe", "CPPFactures"]

    envelope = root.find("Enveloppe/EnveloppeUnitaire")
    assert envelope.get("NumOrdre") == "1"
    parameters = envelope.findall("Parametres/ParametreIndiv")
    assert [
        (p.get("NumOrdre"), p.findtext("Code"), p.findtext("Valeurparametre")) for p in parameters
    ] == [("0001", "DtPrd", "2026-11-24"), ("0002", "IdFlx", "1000000042")]
    assert envelope.findtext("Partenaires/Recepteur/Id") == "00000000"
    assert envelope.findtext("Partenaires/Emetteur/Id") == "00000000"

    container = root.find("CPPFactures")
    assert container.get("Compteur") == "3"
    units = container.findall("CPPFactureMixteUnitaire")
    assert [u.get("NumOrdre") for u in units] == ["1", "2", "3"]

    unit = units[0]
    assert [c.tag for c in unit] == ["Fournisseur", "Debiteur", "DonneesFacture", "PJ"]
    assert [c.tag for c in unit.find("Fournisseur")] == [
        "TypeIdentifiant",
        "Identifiant",
        "RaisonSociale",
        "CodePays",
    ]
    assert [c.tag for c in unit.find("Debiteur")] == [
        "TypeIdentifiant",
        "Identifiant",
        "Nom",
        "CodeService",
        "NomService",
    ]
    assert [c.tag for c in unit.find("DonneesFacture")] == [
        "Id",
        "Type",
        "Cadre",
        "DateEmissionFacture",
        "ModePaiement",
        "Devise",
        "Montants",
        "TVAS",
        "Engagement",
    ]
    assert [c.tag for c in unit.find("DonneesFacture/Engagement")] == [
        "NumeroMarche",
        "NumeroEngagement",
    ]
    assert [(c.tag, c.text) for c in unit.find("DonneesFacture/Montants")] == [
        ("MontantHT", "828.43"),
        ("MontantTTC", "873.99"),
        ("MontantNetAPayer", "873.99"),
    ]
    assert [(c.tag, c.text) for c in unit.find("DonneesFacture/TVAS/TVA")] == [
        ("Taux", "5.5"),
        ("BaseHt", "828.43"),
        ("MontantTVA", "45.56"),
    ]
    attachment = unit.find("PJ")
    assert attachment.get("NumOrdre") == "1"
    assert [c.tag for c in attachment] == ["Contenu", "NomPJ", "TypePJ", "MimeTypePJ"]
    assert attachment.findtext("Contenu").startswith("UEsDB")  # a ZIP, as in the fixture
    zipped = zipfile.ZipFile(BytesIO(base64.b64decode(attachment.findtext("Contenu"))))
    assert zipped.namelist() == ["FX_FAC-2026-00001.pdf"]
    assert zipped.read("FX_FAC-2026-00001.pdf") == _invoice(1).pdf_bytes


def test_optional_elements_are_omitted_when_empty():
    invoice = _invoice(
        1,
        buyer=pf.PortalBuyer(identifier="11000201100044", name="Mairie"),
        engagement_number="",
        market_number="",
        payment_means_code="",
        vat_lines=[],
        pdf_name="",
    )
    unit = etree.fromstring(_build([invoice])).find("CPPFactures/CPPFactureMixteUnitaire")
    assert [c.tag for c in unit.find("Debiteur")] == ["TypeIdentifiant", "Identifiant", "Nom"]
    assert [c.tag for c in unit.find("DonneesFacture")] == [
        "Id",
        "Type",
        "Cadre",
        "DateEmissionFacture",
        "Devise",
        "Montants",
    ]
    assert unit.findtext("PJ/NomPJ") == "FAC-2026-00001.pdf"

    only_ej = etree.fromstring(_build([_invoice(1, market_number="")]))
    assert [c.tag for c in only_ej.find(".//Engagement")] == ["NumeroEngagement"]


@pytest.mark.parametrize(
    "value, amount, rate",
    [
        (0.1 + 0.2, "0.30", "0.3"),
        (2.675, "2.68", "2.68"),
        (Decimal("20"), "20.00", "20"),
        ("5.50", "5.50", "5.5"),
        (1234567.5, "1234567.50", "1234567.5"),
        (-12.3, "-12.30", "-12.3"),
    ],
)
def test_number_formatting(value, amount, rate):
    assert pf.format_amount(value) == amount
    assert pf.format_rate(value) == rate


def test_output_is_deterministic():
    assert _build([_invoice(1)]) == _build([_invoice(1)])


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        _build([])
    with pytest.raises(ValueError):
        _build([_invoice(1, type_code="386")])
    with pytest.raises(ValueError):
        _build([_invoice(1, pdf_bytes=b"")])
    with pytest.raises(ValueError):
        _build([_invoice(1, pdf_name="x" * 47 + ".pdf")])


def test_parser_rejects_inconsistent_files():
    data = _build([_invoice(1), _invoice(2)])
    with pytest.raises(pf.PortalFileError, match="Compteur"):
        pf.parse_portal_file(data.replace(b'Compteur="2"', b'Compteur="3"'))
    with pytest.raises(pf.PortalFileError):
        pf.parse_portal_file(b"<Invoice/>")
    with pytest.raises(pf.PortalFileError):
        pf.parse_portal_file(b"not xml")



def _heavy(index, size):
    """An invoice whose PDF does not compress (random bytes), ``size`` bytes long."""
    import random

    noise = random.Random(index).randbytes(size)
    return _invoice(index % 28 + 1, number=f"FAC-2026-{index:05d}",
                    pdf_bytes=b"%PDF-1.7\n" + noise + b"\n%%EOF\n")


def test_split_keeps_every_file_under_the_limit_and_every_invoice_once():
    invoices = [_heavy(index, 200_000) for index in range(1, 11)]  # about 2.7 MB in base64
    files = pf.split_portal_files(invoices, 1_000_000, date(2026, 11, 24), "1000000042")
    assert len(files) >= 3
    numbers = []
    flow_ids = []
    for batch, content in files:
        assert len(content) <= 1_000_000
        parsed = pf.parse_portal_file(content)
        assert [i.number for i in parsed] == [i.number for i in batch]
        numbers += [i.number for i in parsed]
        flow_ids.append(etree.fromstring(content.split(b"\n", 2)[2]).findtext(
            ".//ParametreIndiv[Code='IdFlx']/Valeurparametre"))
    assert numbers == [i.number for i in invoices], "each invoice once, in order"
    assert flow_ids[:2] == ["1000000042", "1000000043"]
    assert len(set(flow_ids)) == len(files)


def test_split_puts_an_invoice_too_big_for_any_file_alone():
    small, huge = _heavy(1, 1000), _heavy(2, 1_200_000)
    files = pf.split_portal_files([small, huge, _heavy(3, 1000)], 1_000_000,
                                  date(2026, 11, 24), "7")
    assert [[i.number for i in batch] for batch, _content in files] == [
        ["FAC-2026-00001"], ["FAC-2026-00002"], ["FAC-2026-00003"]]
    assert len(files[1][1]) > 1_000_000
