"""Merge the phases of bench/bench_send.py into bench/out/results.json and print the ratios.

python bench/report.py bench/out
"""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def _load(out, name):
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    try:
        wkhtmltopdf = subprocess.run(
            ["wkhtmltopdf", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        wkhtmltopdf = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "wkhtmltopdf": wkhtmltopdf,
    }


def main(out):
    out = Path(out)
    count = int(os.environ.get("BENCH_INVOICES", "100"))
    compare = _load(out, "compare")
    send_100 = _load(out, "send-100")
    send_n = _load(out, f"send-{count}") or send_100
    results = {
        "invoices": compare.get("invoices", count),
        "xml_ms_per_invoice": compare.get("xml_ms_per_invoice"),
        "cii_ms_per_invoice": compare.get("cii_ms_per_invoice"),
        "odoo_xml_ms_per_invoice": compare.get("odoo_xml_ms_per_invoice"),
        "pdf_s_per_invoice_batch": compare.get("pdf_s_per_invoice_batch"),
        "pdf_s_per_invoice_baseline": compare.get("pdf_s_per_invoice_baseline"),
        "pdf_baseline_invoices": compare.get("pdf_baseline_invoices"),
        "send_s_per_invoice": send_n.get("send_s_per_invoice"),
        "send_invoices": send_n.get("invoices"),
        "send_sent": send_n.get("sent"),
        "send_flows": send_n.get("flows"),
        "queries_per_invoice": send_n.get("queries_per_invoice"),
        "queries_per_invoice_100": send_100.get("queries_per_invoice"),
        "peak_rss_mb_100": send_100.get("peak_rss_mb"),
        f"peak_rss_mb_{count}": send_n.get("peak_rss_mb"),
        "peak_rss_mb_1000": _load(out, "send-1000").get("peak_rss_mb"),
        "wkhtmltopdf_batches": compare.get("wkhtmltopdf_batches"),
        "validation_workers": compare.get("validation_workers"),
        "invalid_documents": (compare.get("xml_invalid"), compare.get("cii_invalid")),
        "machine": _machine(),
    }
    ratio = {}
    if results["pdf_s_per_invoice_batch"] and results["pdf_s_per_invoice_baseline"]:
        ratio["pdf_baseline_over_batch"] = (
            results["pdf_s_per_invoice_baseline"] / results["pdf_s_per_invoice_batch"]
        )
    if results["xml_ms_per_invoice"] and results["odoo_xml_ms_per_invoice"]:
        ratio["xml_ours_over_odoo"] = (
            results["xml_ms_per_invoice"] / results["odoo_xml_ms_per_invoice"]
        )
    if results["peak_rss_mb_100"] and results[f"peak_rss_mb_{count}"]:
        ratio[f"peak_rss_{count}_over_100"] = (
            results[f"peak_rss_mb_{count}"] / results["peak_rss_mb_100"]
        )
    results["ratios"] = ratio
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    def fmt(value, unit=""):
        return "-" if value is None else f"{value:,.3f}{unit}"

    print(
        f"\n{results['invoices']} invoices, {results['machine']['cpu']}, "
        f"{results['machine']['cores']} cores, load {results['machine']['load_average_1_5_15']}"
    )
    print(f"wkhtmltopdf: {results['machine']['wkhtmltopdf']}")
    rows = [
        (
            "UBL document",
            "Odoo's UBL export (no validation)",
            fmt(results["odoo_xml_ms_per_invoice"], " ms"),
            "ours: build + validation",
            fmt(results["xml_ms_per_invoice"], " ms"),
        ),
        (
            "CII document",
            "",
            "",
            "ours: build + validation",
            fmt(results["cii_ms_per_invoice"], " ms"),
        ),
        (
            "Invoice PDF",
            f"one per run ({results['pdf_baseline_invoices']} invoices)",
            fmt(results["pdf_s_per_invoice_baseline"], " s"),
            "ours: a chunk per run",
            fmt(results["pdf_s_per_invoice_batch"], " s"),
        ),
    ]
    print(f"\n{'per invoice':<14} {'Odoo / OCA path':<38} {'':>12}   {'ours':<26} {'':>12}")
    for label, odoo_label, odoo_value, our_label, our_value in rows:
        print(f"{label:<14} {odoo_label:<38} {odoo_value:>12}   {our_label:<26} {our_value:>12}")
    print(
        f"\nSend & Print by Chorus Pro, {results['send_invoices']} invoices "
        f"({results['send_sent']} sent in {results['send_flows']} flows): "
        f"{fmt(results['send_s_per_invoice'], ' s')} per invoice, "
        f"{fmt(results['queries_per_invoice'])} SQL queries per invoice "
        f"({fmt(results['queries_per_invoice_100'])} for 100)"
    )
    print(
        f"Peak memory of the sending process: {fmt(results['peak_rss_mb_100'], ' MB')} for 100 "
        f"invoices, {fmt(results[f'peak_rss_mb_{count}'], ' MB')} for {count}"
    )
    print("Ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in ratio.items()))
    print(f"Written to {out / 'results.json'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/out")
