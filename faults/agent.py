"""An Odoo process the fault harness drives: ``odoo-bin shell -d <db> < faults/agent.py``.

The Odoo shell runs this file with ``env`` (superuser) in scope. It then serves one JSON
command per line on the socket whose file descriptor is in ``FAULTS_AGENT_FD`` and
answers one JSON line each. Every command works like one request of a server: it reads
fresh data, commits what it did (the addon commits inside its own steps, as in
production), and rolls back what was left when it raised. Nothing here stubs the addon:
the commands call its entry points (the Send button, the scheduled actions).
"""
# ruff: noqa: F821  (``env`` is given by the Odoo shell)
import datetime
import json
import os
import socket
import traceback

from odoo import Command, fields
from odoo.exceptions import UserError

TOWN_SIRET = "21340172200011"
SUPPLIER_SIRET = "83210456600019"
CRONS = {
    "api_poll": "chorus_pro_dilifac.ir_cron_chorus_api_poll",
    "dilifac_poll": "chorus_pro_dilifac.ir_cron_chorus_dilifac_poll",
}


def _fr_vat(siret):
    siren = siret[:9]
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def cmd_setup(report_url):
    """The supplier company, a public buyer and a product; idempotent."""
    env["ir.config_parameter"].set_param("report.url", report_url)
    company = env["res.company"].search([("siret", "=", SUPPLIER_SIRET)], limit=1)
    if not company:
        company = (
            env["res.company"]
            .with_context(chart_template_load=True)
            .create(
                {
                    "name": "Librairie du Marché",
                    "street": "3 place du Marché",
                    "zip": "76000",
                    "city": "Rouen",
                    "country_id": env.ref("base.fr").id,
                    "currency_id": env.ref("base.EUR").id,
                    "vat": _fr_vat(SUPPLIER_SIRET),
                    "company_registry": "832 104 566 R.C.S. Rouen",
                    "iap_enrich_auto_done": True,
                }
            )
        )
        company.siret = SUPPLIER_SIRET
        company.partner_id.is_company = True
        env.user.write({"company_ids": [Command.link(company.id)], "company_id": company.id})
        env.cr.commit()
        env["account.chart.template"].try_loading("fr", company, install_demo=False)
        env.cr.commit()
        bank = env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": company.partner_id.id,
                "allow_out_payment": True,
                "company_id": company.id,
            }
        )
        company.chorus_bank_account_id = bank
        company.write(
            {
                "chorus_environment": "qualif",
                "chorus_syntax": "IN_DP_E1_UBL_INVOICE",
                "chorus_dilifac_gln": "3012345000017",
                "chorus_dilifac_reseller_id": "R0042",
            }
        )
    chart = env["account.chart.template"].with_company(company)
    tax = chart.ref("tva_reduite")
    tax.active = True
    town = env["res.partner"].search([("siret", "=", TOWN_SIRET)], limit=1)
    if not town:
        town = env["res.partner"].create(
            {
                "name": "Commune de Saint-Libre",
                "is_company": True,
                "country_id": env.ref("base.fr").id,
                "street": "1 rue de la Mairie",
                "zip": "34000",
                "city": "Saint-Libre",
                "siret": TOWN_SIRET,
                "chorus_debtor_type": "local_authority",
                "chorus_einvoicing": True,
            }
        )
    town.with_company(company).invoice_sending_method = "chorus_pro"
    product = env["product.product"].search([("default_code", "=", "FAULT-BOOK")], limit=1)
    if not product:
        product = env["product.product"].create(
            {
                "name": "Roman de poche",
                "default_code": "FAULT-BOOK",
                "type": "consu",
                "list_price": 8.5,
                "taxes_id": [Command.set(tax.ids)],
            }
        )
    # The scheduled actions run when the harness says so, not on their own.
    later = fields.Datetime.now() + datetime.timedelta(days=30)
    for xmlid in (*CRONS.values(), "chorus_pro_dilifac.ir_cron_chorus_refresh_directory"):
        env.ref(xmlid).nextcall = later
    followup = env.ref("chorus_pro_dilifac.ir_cron_chorus_followup", raise_if_not_found=False)
    if followup:
        followup.nextcall = later
    env.cr.commit()
    return {"company": company.id, "town": town.id, "product": product.id}


def cmd_configure(company, values):
    env["res.company"].browse(company).write(values)
    env.cr.commit()
    return True


def cmd_invoices(company, town, product, count):
    moves = env["account.move"]
    for index in range(count):
        move = (
            env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "company_id": company,
                    "partner_id": town,
                    "invoice_date": fields.Date.context_today(env.user),
                    "buyer_reference": "MEDIATHEQUE",
                    "invoice_line_ids": [
                        Command.create({"product_id": product, "quantity": 3 + index})
                    ],
                }
            )
        )
        move.action_post()
        moves |= move
    env.cr.commit()
    return [{"id": move.id, "name": move.name} for move in moves]


def cmd_send(ids, timeout=None):
    """The 'Send to Chorus Pro' button on these invoices, then Send in the Send & Print
    window it opens (Chorus Pro ticked). Several invoices are sent at once, not left to
    Odoo's background sending, so that the harness knows when it is over."""
    moves = env["account.move"].browse(ids)
    if timeout:
        moves = moves.with_context(chorus_api_timeout=timeout)
    try:
        action = moves.action_chorus_send()
        wizard = moves.env[action["res_model"]].with_context(**action["context"]).create({})
        if wizard._name == "account.move.send.batch.wizard":
            wizard.action_send_and_print(force_synchronous=True)
        else:
            wizard.action_send_and_print()
    except UserError as error:
        env.cr.rollback()
        return {"error": str(error), "crash": None}
    except Exception as error:  # what a user would see as a traceback: noted in the row
        env.cr.rollback()
        return {"error": f"{type(error).__name__}: {error}", "crash": type(error).__name__}
    env.cr.commit()
    return {"error": None, "crash": None}


def cmd_cron(name):
    """Run a scheduled action's code as the cron worker would (Run Manually)."""
    try:
        env.ref(CRONS[name]).method_direct_trigger()
    except Exception as error:  # the cron worker logs it and rolls back: so do we
        env.cr.rollback()
        return f"{type(error).__name__}: {error}"
    env.cr.commit()
    return None


def cmd_fetch_now(company):
    """The menu "Fetch news now" (the 'Interface Chorus' button does the same) of a user
    of ``company``: the same reading as the scheduled action, from an HTTP request."""
    try:
        env["account.move"].with_company(company).action_chorus_fetch_news_now()
    except Exception as error:  # noqa: BLE001 - a traceback the user would see
        env.cr.rollback()
        return f"{type(error).__name__}: {error}"
    env.cr.commit()
    return None


def cmd_age(ids, seconds):
    """Move the start of a pending sending, and the last look-up, back in time: the
    scheduled action then treats them as it would a day later."""
    env.cr.execute(
        "UPDATE account_move SET chorus_send_started_on = chorus_send_started_on - %s,"
        " chorus_polled_on = chorus_polled_on - %s"
        " WHERE id IN %s AND chorus_send_started_on IS NOT NULL",
        [datetime.timedelta(seconds=seconds), datetime.timedelta(seconds=seconds), tuple(ids)],
    )
    env.cr.commit()
    return env.cr.rowcount


def cmd_inspect(ids):
    rows = []
    for move in env["account.move"].browse(ids).exists():
        rows.append(
            {
                "id": move.id,
                "name": move.name,
                "state": move.chorus_state,
                "status_code": move.chorus_status_code,
                "attempt": move.chorus_attempt,
                "error": move.chorus_error_message,
                "history": [
                    {
                        "source": line.source,
                        "code": line.code,
                        "date": fields.Datetime.to_string(line.date),
                        "attempt": line.attempt,
                    }
                    for line in move.chorus_history_ids.sorted("id")
                ],
            }
        )
    return rows


def cmd_company_messages(company, needle):
    partner = env["res.company"].browse(company).partner_id
    messages = env["mail.message"].search(
        [("model", "=", "res.partner"), ("res_id", "=", partner.id)]
    )
    return sum(needle in (message.body or "") for message in messages)


def cmd_park(ids):
    """Take a finished case's invoices out of the scheduled actions' way."""
    env.cr.execute(
        "UPDATE account_move SET chorus_state = 'cancelled' WHERE id IN %s", [tuple(ids)]
    )
    env.cr.commit()
    return True


COMMANDS = {name[4:]: func for name, func in dict(globals()).items() if name.startswith("cmd_")}

channel = socket.socket(fileno=int(os.environ["FAULTS_AGENT_FD"]))
stream = channel.makefile("rwb", buffering=0)
stream.write(json.dumps({"ready": os.getpid()}).encode() + b"\n")
for raw in stream:
    request = json.loads(raw)
    env.invalidate_all()
    env.cr.rollback()  # a fresh snapshot: other processes committed meanwhile
    try:
        answer = {"result": COMMANDS[request["command"]](**request.get("args", {}))}
    except Exception as error:  # reported to the harness, which decides
        env.cr.rollback()
        answer = {
            "exception": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }
    stream.write(json.dumps(answer, default=str).encode() + b"\n")
