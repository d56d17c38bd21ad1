"""Time building and validating the Chorus Pro documents of 200 invoices, PDF excluded and
included. An Odoo shell script (``env`` is given by ``odoo-bin shell``), run by ``make bench``
(tools/bench.sh); everything it creates is rolled back.

    odoo-bin shell -c <conf> -d <db> < bench/bench_documents.py
"""

import os
import time

from odoo import Command
from odoo.addons.chorus_pro_dilifac.lib.validation import worker_validator

COUNT = int(os.environ.get("BENCH_INVOICES", "200"))
UBL, CII = "IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B"


def _setup(env):
    """A throw-away French bookshop with its chart of accounts and COUNT posted invoices."""
    company = env["res.company"].create(
        {
            "name": "Bench bookshop",
            "country_id": env.ref("base.fr").id,
            "currency_id": env.ref("base.EUR").id,
            "siret": "83210456600019",
            "vat": "FR86832104566",
            "street": "3 place du Marché",
            "zip": "76000",
            "city": "Rouen",
        }
    )
    env.user.company_ids |= company
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    env["account.chart.template"].try_loading("fr", company, install_demo=False)
    company.chorus_bank_account_id = env["res.partner.bank"].create(
        {
            "acc_number": "FR7630006000011234567890189",
            "partner_id": company.partner_id.id,
        }
    )
    chart = env["account.chart.template"].with_company(company)
    tax_20, tax_5_5 = chart.ref("tva_normale"), chart.ref("tva_reduite")
    (tax_20 | tax_5_5).active = True
    book = env["product.product"].create(
        {"name": "Roman de poche", "taxes_id": [Command.set(tax_5_5.ids)]}
    )
    notebook = env["product.product"].create(
        {"name": "Carnet", "taxes_id": [Command.set(tax_20.ids)]}
    )
    buyer = env["res.partner"].create(
        {
            "name": "Commune de Saint-Libre",
            "is_company": True,
            "siret": "21340172200011",
            "country_id": env.ref("base.fr").id,
            "street": "1 rue de la Mairie",
            "zip": "75001",
            "city": "Paris",
            "chorus_debtor_type": "local_authority",
        }
    )
    moves = env["account.move"].create(
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
                    Command.create({"product_id": notebook.id, "quantity": 2, "price_unit": 4.0}),
                ],
            }
            for index in range(COUNT)
        ]
    )
    moves.action_post()
    return moves


def _timed(label, moves, **kwargs):
    started = time.perf_counter()
    prepared = moves._chorus_prepare_documents(**kwargs)
    elapsed = time.perf_counter() - started
    failed = [data["errors"] for data in prepared.values() if data["errors"]]
    per_invoice = elapsed / len(moves) * 1000
    print(f"{label:<40} {elapsed:7.2f} s {per_invoice:7.1f} ms/invoice  errors: {len(failed)}")
    if failed:
        print("   first errors:", failed[0][:3])


moves = _setup(env)  # noqa: F821 (env is given by odoo-bin shell)
# Compile the stylesheets once, as a running server would have done already.
moves[:1]._chorus_prepare_documents(syntax=UBL, with_pdf=False)
moves[:1]._chorus_prepare_documents(syntax=CII, with_pdf=False)
print(f"\n{len(moves)} invoices, validator in {worker_validator().mode} mode")
_timed("UBL 2.1: build + validate, no PDF", moves, syntax=UBL, with_pdf=False)
_timed("CII D16B: build + validate, no PDF", moves, syntax=CII, with_pdf=False)
_timed("UBL 2.1 + PDF: render, build, validate", moves, syntax=UBL, with_pdf=True)
moves.env.cr.rollback()
