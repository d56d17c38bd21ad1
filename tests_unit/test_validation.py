"""Offline validation: the valid fixtures pass, broken variants fail with the expected rule ids.

The compiled stylesheets live in a per-process cache, so the session fixtures below pay the
compilation once for the whole run (in this process and in one worker process).
"""

import io
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chorus_pro_dilifac.lib import validation as v

FILES = Path(__file__).parent / "files"
UBL_INVOICE = (FILES / "ubl_invoice.xml").read_bytes()
UBL_CREDIT_NOTE = (FILES / "ubl_credit_note.xml").read_bytes()
CII_INVOICE = (FILES / "cii_invoice.xml").read_bytes()


def _replace(document, old, new):
    assert document.count(old) == 1, old
    return document.replace(old, new)


# (name, family, document, error rule ids expected exactly)
BROKEN = [
    (
        "ubl-payable-amount",
        v.UBL,
        _replace(
            UBL_INVOICE,
            b'PayableAmount currencyID="EUR">126.60',
            b'PayableAmount currencyID="EUR">130.00',
        ),
        {"BR-CO-16"},
    ),
    (
        "ubl-total-with-vat",
        v.UBL,
        _replace(
            UBL_INVOICE,
            b'TaxInclusiveAmount currencyID="EUR">126.60',
            b'TaxInclusiveAmount currencyID="EUR">127.60',
        ),
        {"BR-CO-15", "BR-CO-16"},
    ),
    (
        "ubl-vat-total",
        v.UBL,
        _replace(
            UBL_INVOICE,
            b'<cbc:TaxAmount currencyID="EUR">6.60</cbc:TaxAmount>\n    <cac',
            b'<cbc:TaxAmount currencyID="EUR">7.60</cbc:TaxAmount>\n    <cac',
        ),
        {"BR-CO-14", "BR-CO-15"},
    ),
    (
        "ubl-impossible-date",
        v.UBL,
        _replace(UBL_INVOICE, b"<cbc:IssueDate>2026-11-20", b"<cbc:IssueDate>2026-02-30"),
        {"XSD"},
    ),
    (
        "ubl-missing-seller-name",
        v.UBL,
        _replace(
            UBL_INVOICE, b"<cbc:RegistrationName>Librairie du Centre</cbc:RegistrationName>", b""
        ),
        {"BR-06"},
    ),
    (
        "ubl-missing-number",
        v.UBL,
        _replace(UBL_INVOICE, b"<cbc:ID>FAC-2026-00012</cbc:ID>", b""),
        {"BR-02", "XSD"},
    ),
    (
        "ubl-credit-note-payable-amount",
        v.UBL,
        _replace(
            UBL_CREDIT_NOTE,
            b'PayableAmount currencyID="EUR">25.32',
            b'PayableAmount currencyID="EUR">20.00',
        ),
        {"BR-CO-16"},
    ),
    (
        "cii-due-amount",
        v.CII,
        _replace(CII_INVOICE, b"<ram:DuePayableAmount>126.60", b"<ram:DuePayableAmount>130.00"),
        {"BR-CO-16"},
    ),
    (
        "cii-grand-total",
        v.CII,
        _replace(CII_INVOICE, b"<ram:GrandTotalAmount>126.60", b"<ram:GrandTotalAmount>127.60"),
        {"BR-CO-15", "BR-CO-16"},
    ),
    (
        "cii-missing-seller-name",
        v.CII,
        _replace(CII_INVOICE, b"<ram:Name>Librairie du Centre</ram:Name>", b""),
        {"BR-06", "FX-SCH-A-000409"},
    ),
    (
        "cii-line-total",
        v.CII,
        _replace(
            CII_INVOICE,
            b"<ram:LineTotalAmount>120.00</ram:LineTotalAmount>\n        </ram:S",
            b"<ram:LineTotalAmount>110.00</ram:LineTotalAmount>\n        </ram:S",
        ),
        {"BR-CO-10", "BR-S-08"},
    ),
    (
        "cii-date-format-code",
        v.CII,
        _replace(CII_INVOICE, b'format="102">20261120', b'format="203">20261120'),
        {"BR-03", "FX-SCH-A-000554"},
    ),
    (
        "cii-chorus-cadre-as-guideline",
        v.CII,
        _replace(CII_INVOICE, b"<ram:ID>urn:cen.eu:en16931:2017", b"<ram:ID>A1"),
        {"FX-SCH-A-000556"},
    ),
    ("not-well-formed", v.UBL, b"<Invoice><ID></Invoice>", {"XML-SYNTAX"}),
    ("ubl-sent-as-cii", v.CII, UBL_INVOICE, {"XML-ROOT"}),
    ("cii-sent-as-ubl", v.UBL, CII_INVOICE, {"XML-ROOT"}),
    (
        "doctype",
        v.UBL,
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        + UBL_INVOICE.split(b"?>", 1)[1],
        {"XML-DOCTYPE"},
    ),
]
BROKEN_IDS = [case[0] for case in BROKEN]


def _broken(name):
    """(family, document) of a BROKEN case."""
    _name, family, document, _expected = BROKEN[BROKEN_IDS.index(name)]
    return family, document


@pytest.fixture(scope="session")
def inprocess():
    v.warm_up()
    return v.Validator(mode="inprocess")


@pytest.fixture(scope="session")
def worker():
    validator = v.Validator(mode="subprocess")
    yield validator
    validator.close()


def _facturx_pdf(xml_bytes):
    import facturx
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return facturx.generate_from_binary(buffer.getvalue(), xml_bytes, check_xsd=False)


@pytest.mark.parametrize(
    "syntax, document",
    [
        (v.SYNTAX_UBL, UBL_INVOICE),
        (v.SYNTAX_UBL, UBL_CREDIT_NOTE),
        (v.SYNTAX_CII, CII_INVOICE),
        (v.SYNTAX_FACTURX, CII_INVOICE),
    ],
    ids=["ubl-invoice", "ubl-credit-note", "cii", "facturx-xml"],
)
def test_valid_fixtures_pass_xsd_and_en16931(inprocess, syntax, document):
    report = inprocess.validate(document, syntax)
    assert report.ok, report.errors
    assert report.errors == []
    assert not [f for f in report.warnings if f.layer != v.LAYER_BR_FR]


def test_br_fr_findings_are_warnings_only(inprocess):
    report = inprocess.validate_ubl(UBL_INVOICE)
    br_fr = [f for f in report.warnings if f.layer == v.LAYER_BR_FR]
    assert br_fr, "the fixtures lack French 2026 mentions, so BR-FR must speak"
    assert all(f.rule_id.startswith("BR-FR-") and f.severity == v.WARNING for f in br_fr)
    assert {f.flag for f in br_fr} == {"fatal"}  # fatal in the rule set, still not blocking
    broken = inprocess.validate_ubl(
        _replace(UBL_INVOICE, b"<cbc:BuyerReference>SERV-LECTURE</cbc:BuyerReference>", b"")
    )
    assert broken.ok
    assert not [f for f in broken.errors if f.layer == v.LAYER_BR_FR]


@pytest.mark.parametrize("name, family, document, expected", BROKEN, ids=BROKEN_IDS)
def test_broken_documents_report_the_exact_rules(inprocess, name, family, document, expected):
    report = v.validate_xml_inprocess(document, family)
    assert not report.ok
    assert report.rule_ids(v.ERROR) == expected
    assert all(f.severity == v.ERROR for f in report.errors)


def test_findings_carry_layer_location_and_message(inprocess):
    report = inprocess.validate_ubl(_broken("ubl-payable-amount")[1])
    (finding,) = report.errors
    assert finding.layer == v.LAYER_EN16931
    assert finding.flag == "fatal"
    assert finding.location == "/Invoice[1]/LegalMonetaryTotal[1]"
    assert finding.message.startswith("Amount due for payment (BT-115)")

    xsd = inprocess.validate_ubl(_broken("ubl-impossible-date")[1]).errors[0]
    assert xsd.layer == v.LAYER_XSD
    assert "IssueDate" in xsd.location and "2026-02-30" in xsd.message


def test_schematron_runtime_error_becomes_a_finding(inprocess):
    """The BR-FR UBL rules crash on a non-ISO date: reported as a (non-blocking) finding."""
    report = inprocess.validate_ubl(
        _replace(UBL_INVOICE, b"<cbc:IssueDate>2026-11-20", b"<cbc:IssueDate>20-11-2026")
    )
    assert report.rule_ids(v.ERROR) == {"XSD"}
    runtime = [f for f in report.warnings if f.rule_id == "SCHEMATRON-RUNTIME"]
    assert [f.layer for f in runtime] == [v.LAYER_BR_FR]


def test_dispatch_on_chorus_syntax(inprocess):
    assert inprocess.validate(UBL_INVOICE, v.SYNTAX_UBL).ok
    assert inprocess.validate(CII_INVOICE, v.SYNTAX_CII).ok
    assert inprocess.validate(UBL_INVOICE, v.SYNTAX_CII).rule_ids(v.ERROR) == {"XML-ROOT"}
    with pytest.raises(ValueError):
        inprocess.validate(UBL_INVOICE, "IN_DP_E2_CPP_FACTURE_MIN")


def test_facturx_pdf(inprocess):
    good = _facturx_pdf(CII_INVOICE)
    report = inprocess.validate(good, v.SYNTAX_FACTURX)
    assert report.ok, report.errors
    assert "FACTURX-XMP" not in report.rule_ids()

    bad = _facturx_pdf(_broken("cii-due-amount")[1])
    assert inprocess.validate_facturx_pdf(bad).rule_ids(v.ERROR) == {"BR-CO-16"}


def test_facturx_container_errors(inprocess):
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    plain = io.BytesIO()
    writer.write(plain)
    assert inprocess.validate_facturx_pdf(plain.getvalue()).rule_ids(v.ERROR) == {"FACTURX-XML"}
    assert inprocess.validate_facturx_pdf(b"%PDF-1.7 truncated").rule_ids(v.ERROR) == {
        "FACTURX-PDF"
    }


@pytest.mark.parametrize(
    "family, document",
    [
        (v.UBL, UBL_INVOICE),
        (v.UBL, UBL_CREDIT_NOTE),
        (v.CII, CII_INVOICE),
        _broken("ubl-total-with-vat"),
        _broken("ubl-impossible-date"),
        _broken("cii-missing-seller-name"),
    ],
)
def test_worker_gives_the_same_findings(inprocess, worker, family, document):
    expected = v.validate_xml_inprocess(document, family)
    assert worker._validate_xml(document, family) == expected


def test_worker_is_reused_then_restarted_after_a_crash(worker):
    worker.validate_ubl(UBL_INVOICE)
    pid = worker._worker.process.pid
    worker.validate_cii(CII_INVOICE)
    assert worker._worker.process.pid == pid
    worker._worker.process.kill()
    worker._worker.process.wait()
    assert worker.validate_ubl(UBL_INVOICE).ok
    assert worker._worker.process.pid != pid


def test_a_worker_killed_under_a_request_is_replaced_transparently(worker):
    worker.validate_ubl(UBL_INVOICE)
    pid = worker.worker_pid
    worker._worker.process.kill()  # not reaped yet: the next request meets a dying worker
    assert worker.validate_ubl(UBL_INVOICE).ok
    assert worker.worker_pid not in (None, pid)


def test_worker_has_its_own_address_space_limit(worker):
    worker.validate_ubl(UBL_INVOICE)
    limits = Path(f"/proc/{worker.worker_pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert line.split()[3] == str(v.WORKER_ADDRESS_SPACE), line


def test_a_worker_grown_past_its_resident_size_is_replaced():
    with v.Validator(mode="subprocess", max_rss=1) as validator:
        assert validator.validate_ubl(UBL_INVOICE).ok
        assert validator.worker_pid is None, "stopped after its answer"
        assert validator.validate_ubl(UBL_INVOICE).ok


def test_worker_ends_with_its_parent():
    """A parent killed outright (SIGKILL, Odoo's hard limits) leaves no validator behind."""
    script = textwrap.dedent(
        f"""
        import importlib.util, os, signal
        spec = importlib.util.spec_from_file_location("validation", {v.__file__!r})
        v = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(v)
        validator = v.Validator(mode="subprocess")
        validator.validate_ubl(open({str(FILES / "ubl_invoice.xml")!r}, "rb").read())
        print(validator.worker_pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    worker_pid = int(result.stdout.split()[0])
    deadline = 300
    while deadline and Path(f"/proc/{worker_pid}").exists():
        status = Path(f"/proc/{worker_pid}/status").read_text()
        if "State:\tZ" in status:
            break
        deadline -= 1
        time.sleep(0.1)
    assert deadline, f"validation worker {worker_pid} outlived its parent"


def test_auto_mode_follows_the_address_space_limit(monkeypatch):
    validator = v.Validator()
    monkeypatch.setattr(v, "address_space_limits", lambda: (None, None))
    assert validator.mode == "inprocess"
    monkeypatch.delitem(sys.modules, "saxonche", raising=False)
    monkeypatch.setattr(v, "address_space_limits", lambda: (2_684_354_560, None))
    assert validator.mode == "subprocess"
    assert v.Validator(mode="inprocess").mode == "inprocess"
    with pytest.raises(ValueError):
        v.Validator(mode="threads")


def test_missing_package_is_a_clear_error(monkeypatch):
    real_find_spec = v.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "saxonche" else real_find_spec(name, *args)

    monkeypatch.setattr(v.importlib.util, "find_spec", find_spec)
    with pytest.raises(v.ValidationUnavailable, match="saxonche"):
        v.Validator(mode="subprocess").validate_ubl(UBL_INVOICE)


def test_under_odoo_like_address_space_limit():
    """What odoo-bin does (RLIMIT_AS = limit_memory_hard): auto validates through the worker,
    in-process refuses cleanly instead of letting SaxonC kill the process."""
    script = textwrap.dedent(
        f"""
        import importlib.util, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2560 * 1024 ** 2, resource.RLIM_INFINITY))
        spec = importlib.util.spec_from_file_location("validation", {v.__file__!r})
        v = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(v)
        validator = v.Validator()
        document = open({str(FILES / "ubl_invoice.xml")!r}, "rb").read()
        report = validator.validate_ubl(document)
        print(validator.mode, report.ok, "saxonche" in sys.modules)
        try:
            v.Validator(mode="inprocess").validate_ubl(document)
        except v.ValidationUnavailable:
            print("refused")
        validator.close()
        """
    )
    if resource.getrlimit(resource.RLIMIT_AS)[1] != resource.RLIM_INFINITY:
        pytest.skip("needs an unlimited hard RLIMIT_AS to lower the soft one")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["subprocess", "True", "False", "refused"], result.stderr
