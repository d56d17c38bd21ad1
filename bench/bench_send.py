"""`make bench`: Odoo's own path and ours, side by side, on the same invoices.

An Odoo shell script (``env`` is given by ``odoo-bin shell``) run by tools/bench.sh, once per
phase (``BENCH_PHASE``), each in a fresh process so that its peak memory is its own:

* ``setup``: a French bookshop sending through the Chorus Pro sandbox, ``BENCH_INVOICES``
  posted invoices for the comparison and 100 more for the memory run of 100 (committed).
* ``compare``: on the same invoices, Odoo's UBL export vs our UBL build + validation (and CII),
  one PDF per invoice and per wkhtmltopdf run, as Odoo's report action and OCA's Chorus module
  do, vs our batch rendering.
* ``send``: a whole Send & Print "by Chorus Pro" of ``BENCH_SEND_SIZE`` invoices through the
  sandbox (PDF, document, validation, deposit, commit), with its SQL queries and peak memory.

Each phase writes ``bench/out/<phase>[-<size>].json``; tools/bench.sh merges them into
``bench/out/results.json``. Not a test: it measures, it never fails on a number.
"""

import gc
import json
import os
import time
from pathlib import Path

from odoo import Command
from odoo.addons.chorus_pro_dilifac.lib.validation_pool import default_pool, pool_for
from odoo.addons.chorus_pro_dilifac.models.account_move_chorus_pdf import (
    wkhtmltopdf_renders_batches,
)

OUT = Path(os.environ.get("BENCH_OUT", "bench/out"))
PHASE = os.environ["BENCH_PHASE"]
COUNT = int(os.environ.get("BENCH_INVOICES", "100"))
MEMORY_SIZE = 100
# The first technical account of the sandbox (sandboxes/seed_directory.json) is this SIRET.
SUPPLIER_SIRET = "83210456600019"
UBL, CII = "IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B"
COMPANY_NAME = "Bench bookshop"
env = env  # noqa: F821, PLW0127 (given by odoo-bin shell)


def write(name, data):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=2))


def rss_mb(field):
    """VmRSS or VmHWM (peak) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def reset_peak_rss():
    """Start measuring the peak from now (Linux: writing 5 to clear_refs resets VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def bench_env():
    company = env["res.company"].search([("name", "=", COMPANY_NAME)], limit=1)
    return env(context=dict(env.context, allowed_company_ids=[company.id])), company


def setup():
    seed = json.loads(Path("sandboxes/seed_directory.json").read_text())
    account = next(
        a
        for a in seed["credentials"]["technical_accounts"]
        if a["supplier_siret"] == SUPPLIER_SIRET
    )
    chorus_url = os.environ["BENCH_CHORUS_URL"]
    env["ir.config_parameter"].set_param("report.url", os.environ["BENCH_REPORT_URL"])
    env["ir.config_parameter"].set_param("web.base.url", os.environ["BENCH_REPORT_URL"])
    company = env["res.company"].create(
        {
            "name": COMPANY_NAME,
            "country_id": env.ref("base.fr").id,
            "currency_id": env.ref("base.EUR").id,
            "siret": SUPPLIER_SIRET,
            "vat": "FR86832104566",
            "street": "3 place du Marché",
            "zip": "76000",
            "city": "Rouen",
        }
    )
    env.user.company_ids |= company
    cenv = env(context=dict(env.context, allowed_company_ids=[company.id]))
    cenv["account.chart.template"].try_loading("fr", company, install_demo=False)
    company.write(
        {
            "chorus_bank_account_id": cenv["res.partner.bank"]
            .create(
                {"acc_number": "FR7630006000011234567890189", "partner_id": company.partner_id.id}
            )
            .id,
            "chorus_transport": "api",
            "chorus_syntax": UBL,
            "chorus_piste_client_id": seed["credentials"]["client_id"],
            "chorus_piste_client_secret": seed["credentials"]["client_secret"],
            "chorus_tech_login": account["login"],
            "chorus_tech_password": account["password"],
            "chorus_api_oauth_url": chorus_url,
            "chorus_api_base_url": chorus_url,
        }
    )
    chart = cenv["account.chart.template"].with_company(company)
    tax_20, tax_5_5 = chart.ref("tva_normale"), chart.ref("tva_reduite")
    (tax_20 | tax_5_5).active = True
    book = cenv["product.product"].create(
        {"name": "Roman de poche", "taxes_id": [Command.set(tax_5_5.ids)]}
    )
    notebook = cenv["product.product"].create(
        {"name": "Carnet", "taxes_id": [Command.set(tax_20.ids)]}
    )
    buyer = cenv["res.partner"].create(
        {
            "name": "Commune de Saint-Libre",
            "is_company": True,
            "siret": "21340172200011",
            "country_id": env.ref("base.fr").id,
            "street": "1 rue de la Mairie",
            "zip": "75001",
            "city": "Paris",
            "chorus_debtor_type": "local_authority",
            "chorus_einvoicing": True,
        }
    )
    for count in (COUNT, MEMORY_SIZE):
        for start in range(0, count, 200):  # created in chunks: the setup is not measured
            moves = cenv["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": buyer.id,
                        "invoice_date": "2026-11-02",
                        "ref": f"EJ-{index:05d}",
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": book.id,
                                    "quantity": 1 + index % 7,
                                    "price_unit": 8.5,
                                    "discount": index % 3 * 5,
                                }
                            ),
                            Command.create(
                                {"product_id": notebook.id, "quantity": 2, "price_unit": 4.0}
                            ),
                        ],
                    }
                    for index in range(start, min(start + 200, count))
                ]
            )
            moves.action_post()
            moves.write({"narration": f"bench-{count}"})
            env.cr.commit()
            env.invalidate_all()
    print(f"setup: {COUNT} + {MEMORY_SIZE} invoices posted for {company.name}")


def invoice_set(cenv, count):
    """The invoices of the comparison (``COUNT``) or of the memory run of 100."""
    moves = cenv["account.move"].search(
        [("company_id", "=", cenv.company.id), ("move_type", "=", "out_invoice")], order="id"
    )
    if count == COUNT:
        return moves[:COUNT]
    return moves[COUNT : COUNT + count]


def timed(function):
    env.invalidate_all()
    gc.collect()
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def compare():
    cenv, _company = bench_env()
    moves = invoice_set(cenv, COUNT)
    count = len(moves)
    report = cenv["ir.actions.report"].with_context(force_report_rendering=True)
    sample_size = min(count, int(os.environ.get("BENCH_BASELINE_PDF", "100")))
    # What a running server has done already: assets bundled, stylesheets compiled.
    report._render_qweb_pdf("account.account_invoices", res_ids=moves[:1].ids)
    default_pool().warm_up(
        [(d["content"], s) for s in (UBL, CII) for d in _documents(moves[:1], s).values()]
    )
    results = {"invoices": count, "validation_workers": pool_for(count).size}

    odoo_ubl = cenv["account.edi.xml.ubl_bis3"]
    elapsed, _ = timed(lambda: [odoo_ubl._export_invoice(move) for move in moves])
    results["odoo_xml_ms_per_invoice"] = elapsed / count * 1000
    elapsed, prepared = timed(lambda: _documents(moves, UBL))
    results["xml_ms_per_invoice"] = elapsed / count * 1000
    results["xml_invalid"] = sum(bool(d["errors"]) for d in prepared.values())
    elapsed, prepared = timed(lambda: _documents(moves, CII))
    results["cii_ms_per_invoice"] = elapsed / count * 1000
    results["cii_invalid"] = sum(bool(d["errors"]) for d in prepared.values())
    del prepared

    elapsed, pdfs = timed(lambda: moves._chorus_render_pdfs())
    results["pdf_s_per_invoice_batch"] = elapsed / count
    results["pdf_batch_ok"] = sum(pdf.startswith(b"%PDF-") for pdf in pdfs.values())
    del pdfs
    sample = moves[:sample_size]
    elapsed, _ = timed(
        lambda: [report._render_qweb_pdf("account.account_invoices", res_ids=m.ids) for m in sample]
    )
    results["pdf_s_per_invoice_baseline"] = elapsed / len(sample)
    results["pdf_baseline_invoices"] = len(sample)
    results["wkhtmltopdf_batches"] = wkhtmltopdf_renders_batches()
    env.cr.rollback()
    write("compare", results)


def _documents(moves, syntax):
    return moves._chorus_prepare_documents(syntax=syntax, with_pdf=False)


def send():
    size = int(os.environ["BENCH_SEND_SIZE"])
    cenv, _company = bench_env()
    moves = invoice_set(cenv, size)
    count = len(moves)
    default_pool().warm_up([(d["content"], UBL) for d in _documents(moves[:1], UBL).values()])
    env.cr.rollback()
    env.invalidate_all()
    gc.collect()
    reset_peak_rss()
    rss_before = rss_mb("VmRSS")
    queries_before = env.cr.sql_log_count
    started = time.perf_counter()
    cenv["account.move.send"]._generate_and_send_invoices(
        moves, allow_raising=False, sending_methods={"chorus_pro"}
    )
    env.cr.commit()
    elapsed = time.perf_counter() - started
    queries = env.cr.sql_log_count - queries_before
    moves.invalidate_recordset()
    sent = moves.filtered(lambda m: m.chorus_state == "sent")
    write(
        f"send-{size}",
        {
            "invoices": count,
            "sent": len(sent),
            "flows": len(set(sent.mapped("chorus_flow_number"))),
            "send_s_per_invoice": elapsed / count,
            "queries_per_invoice": queries / count,
            "rss_mb_before": rss_before,
            "peak_rss_mb": rss_mb("VmHWM"),
        },
    )


def profile():
    """cProfile of the UBL build + validation of the comparison's invoices (in this
    process: the validation workers show as waiting), top functions by own time."""
    import cProfile
    import io
    import pstats

    cenv, _company = bench_env()
    moves = invoice_set(cenv, COUNT)
    default_pool().warm_up([(d["content"], UBL) for d in _documents(moves[:1], UBL).values()])
    env.invalidate_all()
    profiler = cProfile.Profile()
    profiler.runcall(_documents, moves, UBL)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "profile.txt").write_text(text.getvalue())
    env.cr.rollback()


{"setup": setup, "compare": compare, "send": send, "profile": profile}[PHASE]()
