"""The pool of validation workers gives each document its own report, in order, whichever
worker validated it, and the same findings as one validator alone."""

from pathlib import Path

from chorus_pro_dilifac.lib import validation as v
from chorus_pro_dilifac.lib.validation_pool import ValidatorPool

FILES = Path(__file__).parent / "files"
UBL_INVOICE = (FILES / "ubl_invoice.xml").read_bytes()
CII_INVOICE = (FILES / "cii_invoice.xml").read_bytes()
# BR-CO-16: the amount due is not total - prepaid.
UBL_WRONG_TOTAL = UBL_INVOICE.replace(
    b'PayableAmount currencyID="EUR">126.60', b'PayableAmount currencyID="EUR">130.00'
)


def test_a_batch_on_two_workers_keeps_each_report_with_its_document():
    documents = [
        (UBL_INVOICE, v.SYNTAX_UBL),
        (UBL_WRONG_TOTAL, v.SYNTAX_UBL),
        (CII_INVOICE, v.SYNTAX_CII),
        (UBL_WRONG_TOTAL, v.SYNTAX_UBL),
        (UBL_INVOICE, v.SYNTAX_UBL),
    ]
    assert UBL_WRONG_TOTAL != UBL_INVOICE
    with ValidatorPool(size=2) as pool:
        reports = pool.validate_many(documents)
        workers = {validator._worker.process.pid for validator in pool._validators[1:]}
    assert [report.ok for report in reports] == [True, False, True, False, True]
    assert reports[1].rule_ids(v.ERROR) == {"BR-CO-16"} == reports[3].rule_ids(v.ERROR)
    assert len(workers) == 1, "the second worker took part"


def test_a_pool_of_one_validates_in_the_calling_thread():
    pool = ValidatorPool(size=1)
    future = pool.submit(UBL_WRONG_TOTAL, v.SYNTAX_UBL)
    assert future.done()
    assert future.result().rule_ids(v.ERROR) == {"BR-CO-16"}
    pool.close()
