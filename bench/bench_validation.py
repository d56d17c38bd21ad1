"""Time offline validation: stylesheet compilation, then N UBL and N CII documents validated
in-process and through the subprocess worker.

    python bench/bench_validation.py [-n 200]

validation.py is loaded by path, like the worker loads it, so neither Odoo nor pytest is needed.
"""

import argparse
import importlib.util
import statistics
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILES = REPO / "tests_unit" / "files"


def _load_validation():
    path = REPO / "chorus_pro_dilifac" / "lib" / "validation.py"
    spec = importlib.util.spec_from_file_location("chorus_validation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _amounts(quantity):
    """Line total, VAT at 5.5 % and total, as in the fixtures (unit price 12.00)."""
    untaxed = Decimal(12 * quantity).quantize(Decimal("0.01"))
    vat = (untaxed * Decimal("0.055")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{untaxed:f}", f"{vat:f}", f"{untaxed + vat:f}"


def generated_documents(count):
    """``count`` UBL and ``count`` CII invoices: each its own number, quantity and totals."""
    ubl = (FILES / "ubl_invoice.xml").read_text()
    cii = (FILES / "cii_invoice.xml").read_text()
    ubl_docs, cii_docs = [], []
    for index in range(count):
        quantity = 1 + index % 37
        untaxed, vat, total = _amounts(quantity)
        replacements = [("120.00", untaxed), ("126.60", total), ("6.60", vat)]
        ubl_doc = ubl.replace("FAC-2026-00012", f"FAC-2026-{index:05d}").replace(
            'unitCode="C62">10<', f'unitCode="C62">{quantity}<'
        )
        cii_doc = cii.replace("FAC-2026-00013", f"FAC-2026-{index:05d}").replace(
            'unitCode="C62">10<', f'unitCode="C62">{quantity}<'
        )
        for old, new in replacements:
            ubl_doc = ubl_doc.replace(old, new)
            cii_doc = cii_doc.replace(old, new)
        ubl_docs.append(ubl_doc.encode())
        cii_docs.append(cii_doc.encode())
    return ubl_docs, cii_docs


def _time(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def _per_document(label, validate, documents):
    durations = []
    failures = 0
    for document in documents:
        elapsed, report = _time(validate, document)
        durations.append(elapsed)
        failures += not report.ok
    durations.sort()
    print(
        f"  {label:<28} n={len(documents)}  mean {statistics.mean(durations) * 1000:6.1f} ms"
        f"  p50 {durations[len(durations) // 2] * 1000:6.1f} ms"
        f"  p95 {durations[max(int(len(durations) * 0.95) - 1, 0)] * 1000:6.1f} ms"
        f"  total {sum(durations):6.2f} s  not ok: {failures}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="documents per syntax (200)")
    count = parser.parse_args().n
    v = _load_validation()
    ubl_docs, cii_docs = generated_documents(count)

    print("In-process, cold: one-time costs")
    elapsed, _ = _time(v._saxon)
    print(f"  {'start SaxonC':<64} {elapsed:6.2f} s")
    for relative_path in sorted(set(v.UBL_XSD.values()) | {v.CII_XSD}):
        elapsed, _ = _time(v._schema, relative_path)
        print(f"  load {relative_path:<59} {elapsed:6.2f} s")
    for relative_path in v.SCHEMATRONS.values():
        elapsed, _ = _time(v.compiled_stylesheet, relative_path)
        print(f"  compile {relative_path:<56} {elapsed:6.2f} s")

    inprocess = v.Validator(mode="inprocess")
    print("In-process, per document")
    _per_document("UBL", inprocess.validate_ubl, ubl_docs)
    _per_document("CII", inprocess.validate_cii, cii_docs)

    with v.Validator(mode="subprocess") as worker:
        print("Subprocess worker")
        elapsed, _ = _time(worker.validate_ubl, ubl_docs[0])
        print(f"  {'start worker + first UBL (compiles)':<64} {elapsed:6.2f} s")
        elapsed, _ = _time(worker.validate_cii, cii_docs[0])
        print(f"  {'first CII (compiles)':<64} {elapsed:6.2f} s")
        _per_document("UBL", worker.validate_ubl, ubl_docs)
        _per_document("CII", worker.validate_cii, cii_docs)


if __name__ == "__main__":
    main()
