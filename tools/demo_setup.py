"""Configure the demo database against the running sandboxes (run by tools/demo.sh).

    odoo-bin shell -c <conf> -d cpd_demo --no-http < tools/demo_setup.py

The Odoo shell executes this file with ``env`` (superuser) in scope and rolls back at the
end, so every step commits. The sandboxes' connection details come from the environment
(DEMO_CHORUS_URL, DEMO_SFTP_*, DEMO_DILIFAC_ROOT, DEMO_HTTP_PORT), set by tools/demo.sh.

Two companies:
* Librairie du Marché (the FR demo company, renamed), a bookshop sending through Dilifac;
* Éditions du Port, a publisher sending through the Chorus Pro API.
Their invoices are really sent through the sandboxes, the buyers' answers are played on
the sandboxes' side and read back by the same code the scheduled actions run, so every
Chorus Pro state shown in the demo is one the addon reached by itself.
"""
# ruff: noqa: F821  (``env`` is given by the Odoo shell)
import datetime
import json
import os
import time
import urllib.request
from pathlib import Path

from odoo import Command, fields
from stdnum.fr import tva

import sandboxes
from sandboxes.dilifac.processor import DilifacProcessor

T0 = time.time()
# The demo is French: what this script writes (names, messages, dates) is written as a
# French user would (French is installed by tools/demo.sh).
env = env(context=dict(env.context, lang="fr_FR", tz="Europe/Paris"))
SEED = json.loads((Path(sandboxes.__file__).parent / "seed_directory.json").read_text())
CHORUS_URL = os.environ["DEMO_CHORUS_URL"]
DILIFAC_ROOT = os.environ["DEMO_DILIFAC_ROOT"]
HTTP_PORT = os.environ.get("DEMO_HTTP_PORT", "8069")
TODAY = fields.Date.context_today(env.user)
Move = env["account.move"]


def step(message):
    print(f"    [{time.time() - T0:5.1f}s] {message}", flush=True)


def commit():
    env.cr.commit()


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def fr_vat(siret):
    siren = siret[:9]
    vat = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    assert tva.is_valid(vat), vat
    return vat


def seed_account(siret):
    accounts = SEED["credentials"]["technical_accounts"]
    return next(a for a in accounts if a["supplier_siret"] == siret)


# wkhtmltopdf fetches the invoice report's styles from the running server.
env["ir.config_parameter"].set_param("report.url", f"http://127.0.0.1:{HTTP_PORT}")

# -- companies ----------------------------------------------------------------------------
step("Companies: Librairie du Marché (Dilifac) and Éditions du Port (Chorus Pro API)")
france = env.ref("base.fr")
eur = env.ref("base.EUR")
admin = env.ref("base.user_admin")
bank = env["res.bank"].create({"name": "Crédit Agricole Normandie-Seine", "bic": "AGRIFRPP866"})

bookshop = env.ref("base.demo_company_fr")
bookshop.write(
    {
        "name": "Librairie du Marché",
        "street": "3 place du Marché",
        "zip": "76000",
        "city": "Rouen",
        "phone": "+33 2 35 00 00 00",
        "email": "contact@librairie-du-marche.example.fr",
        "siret": "83210456600019",
        "vat": fr_vat("83210456600019"),
        "company_registry": "832 104 566 R.C.S. Rouen",
    }
)
bookshop.partner_id.write({"siret": "83210456600019", "is_company": True})

# chart_template_load: a new French company would otherwise install the French e-invoicing
# modules (account_peppol) on the spot, reloading the registry under this script's feet.
editions = env["res.company"].with_context(chart_template_load=True).create(
    {
        "name": "Éditions du Port",
        "street": "14 quai de la Fosse",
        "zip": "44000",
        "city": "Nantes",
        "country_id": france.id,
        "currency_id": eur.id,
        "email": "facturation@editions-du-port.example.fr",
        "vat": fr_vat("83210457400013"),
        "company_registry": "832 104 574 R.C.S. Nantes",
        "iap_enrich_auto_done": True,  # no partner autocompletion call to odoo.com
    }
)
editions.siret = "83210457400013"
editions.partner_id.is_company = True
admin.write(
    {
        "company_ids": [Command.link(bookshop.id), Command.link(editions.id)],
        "company_id": bookshop.id,
    }
)
# French users in Paris: the interface, the PDFs, the dates and the activities read French.
demo_user = env.ref("base.user_demo", raise_if_not_found=False)
(admin | (demo_user or env["res.users"])).write({"lang": "fr_FR", "tz": "Europe/Paris"})
(bookshop | editions).partner_id.lang = "fr_FR"
commit()

step("Loading the French chart of accounts for Éditions du Port")
env["account.chart.template"].try_loading("fr", editions, install_demo=False)
# The bookshop's chart came with Odoo's French demo company, loaded before French was: its
# tax groups would print "VAT 20%" on French invoices.
env["account.chart.template"]._load_translations(langs=["fr_FR"], companies=bookshop)
commit()

taxes = {}
for company in (bookshop, editions):
    chart = env["account.chart.template"].with_company(company)
    # The French chart loads the reduced rates inactive: booksellers sell at 5.5 %.
    taxes[company, "5.5"] = chart.ref("tva_reduite")
    taxes[company, "20"] = chart.ref("tva_normale")
    taxes[company, "5.5"].active = True

iban = {
    bookshop: "FR7630006000011234567890189",
    editions: "FR7610278360000001234567855",
}
for company in (bookshop, editions):
    account = env["res.partner.bank"].create(
        {
            "acc_number": iban[company],
            "bank_id": bank.id,
            "partner_id": company.partner_id.id,
            "allow_out_payment": True,
            "company_id": company.id,
        }
    )
    assert account.acc_type == "iban", account.acc_number
    company.chorus_bank_account_id = account

bookshop.write(
    {
        "chorus_transport": "dilifac",
        "chorus_environment": "qualif",
        "chorus_syntax": "IN_DP_E1_UBL_INVOICE",
        "chorus_dilifac_gln": "3012345000017",
        "chorus_dilifac_reseller_id": "R0042",
        "chorus_sftp_host": os.environ["DEMO_SFTP_HOST"],
        "chorus_sftp_port": int(os.environ["DEMO_SFTP_PORT"]),
        "chorus_sftp_user": os.environ["DEMO_SFTP_USER"],
        "chorus_sftp_password": os.environ["DEMO_SFTP_PASSWORD"],
        "chorus_sftp_host_fingerprint": os.environ["DEMO_SFTP_FINGERPRINT"],
    }
)
publisher_account = seed_account("83210457400013")
editions.write(
    {
        "chorus_transport": "api",
        "chorus_environment": "qualif",
        "chorus_syntax": "IN_DP_E1_UBL_INVOICE",
        "chorus_piste_client_id": SEED["credentials"]["client_id"],
        "chorus_piste_client_secret": SEED["credentials"]["client_secret"],
        "chorus_tech_login": publisher_account["login"],
        "chorus_tech_password": publisher_account["password"],
        "chorus_tech_password_expiry": publisher_account["password_expiry"],
        "chorus_api_oauth_url": CHORUS_URL,
        "chorus_api_base_url": CHORUS_URL,
    }
)
# The scheduled actions run at their usual times, not at the first start of the server.
now = fields.Datetime.now()
for xmlid, delay in (
    ("chorus_pro_dilifac.ir_cron_chorus_api_poll", datetime.timedelta(hours=1)),
    ("chorus_pro_dilifac.ir_cron_chorus_refresh_directory", datetime.timedelta(days=7)),
):
    env.ref(xmlid).nextcall = now + delay
commit()

step("Checking the connections: Dilifac SFTP (pinned host key) and Chorus Pro API")
print("      " + bookshop._chorus_test_connection(), flush=True)
print("      " + editions._chorus_test_connection(), flush=True)

# -- customers and products -----------------------------------------------------------------
step("Public customers (demo data) and products at 5.5 % and 20 % VAT")
state = env.ref("chorus_pro_dilifac.partner_state_dgfip")
town = env.ref("chorus_pro_dilifac.partner_town_saint_libre")
hospital = env.ref("chorus_pro_dilifac.partner_hospital_paris_est")
hospital_library = env.ref("chorus_pro_dilifac.partner_hospital_library_contact")
seine_maritime = env.ref("chorus_pro_dilifac.partner_seine_maritime")
aube = env.ref("chorus_pro_dilifac.partner_aube")
intercommunal = env.ref("chorus_pro_dilifac.partner_intercommunal_library")
public_buyers = state | town | hospital | seine_maritime | aube | intercommunal
(public_buyers | public_buyers.child_ids).lang = "fr_FR"
term_30 = env.ref("chorus_pro_dilifac.payment_term_chorus_30_days")
term_50 = env.ref("chorus_pro_dilifac.payment_term_chorus_50_days_sepa")
for company in (bookshop, editions):
    for partner in public_buyers:
        partner.with_company(company).write(
            {
                "invoice_sending_method": "chorus_pro",
                "property_payment_term_id": (term_50 if partner == hospital else term_30).id,
            }
        )
# Through the API the directory is read, not typed: flags and services come from Chorus Pro.
public_buyers.with_company(editions).action_chorus_check_directory()
commit()


def product(name, price, rate, code):
    return env["product.product"].create(
        {
            "name": name,
            "default_code": code,
            "type": "consu",
            "list_price": price,
            "taxes_id": [Command.set([taxes[bookshop, rate].id, taxes[editions, rate].id])],
        }
    )


novel = product("Roman de poche", 8.50, "5.5", "LIV-POCHE")
art_book = product("Beau livre illustré", 39.00, "5.5", "LIV-BEAU")
children_book = product("Album jeunesse", 14.90, "5.5", "LIV-JEUN")
library_kit = product("Équipement des livres (couverture, antivol, cote)", 1.20, "20", "SRV-EQUIP")
notebook = product("Carnet de lecture", 4.00, "20", "PAP-CARNET")
commit()

# -- invoices ------------------------------------------------------------------------------


def invoice(company, partner, lines, days, move_type="out_invoice", post=True, **vals):
    move = Move.with_company(company).create(
        {
            "move_type": move_type,
            "company_id": company.id,
            "partner_id": partner.id,
            "invoice_date": days_ago(days),
            "invoice_user_id": admin.id,
            "invoice_line_ids": [
                Command.create({"product_id": prod.id, "quantity": qty}) for prod, qty in lines
            ],
            **vals,
        }
    )
    if post:
        move.action_post()
    return move


def send(moves):
    failures = moves._chorus_send()
    if failures:
        raise RuntimeError(
            "\n".join(f"{move.name}: {' | '.join(errors)}" for move, errors in failures.items())
        )
    commit()


def check(move, expected):
    move.invalidate_recordset()
    if move.chorus_state != expected:
        raise RuntimeError(
            f"{move.name} is {move.chorus_state} ({move.chorus_status_code}), expected {expected}: "
            f"{move.chorus_error_message or ''}"
        )


# Librairie du Marché, through Dilifac ------------------------------------------------------
step("Librairie du Marché: uploading invoices and a credit note to Dilifac (PDF, UBL, SFTP)")
dilifac = DilifacProcessor(DILIFAC_ROOT, immediate=True)


def dilifac_news():
    """Dilifac's processor reads the uploads, then Odoo reads its notifications, exactly
    as the daily scheduled action does."""
    dilifac.run_once()
    Move.with_company(bookshop)._chorus_dilifac_poll_company(bookshop)
    commit()


town_invoice = invoice(
    bookshop, town, [(novel, 40), (children_book, 12), (library_kit, 52)], 40,
    ref="BC-2026-118", buyer_reference="MEDIATHEQUE",
)
town_refund = invoice(
    bookshop, town, [(children_book, 1)], 30, move_type="out_refund",
    reversed_entry_id=town_invoice.id, ref="Retour : album abîmé",
)
seine_invoice = invoice(
    bookshop, seine_maritime, [(art_book, 6), (library_kit, 6)], 25, ref="EJ-SM-2026-0042"
)
state_invoice = invoice(bookshop, state, [(art_book, 3), (notebook, 20)], 21, ref="1300012345")
library_invoice = invoice(bookshop, intercommunal, [(children_book, 25), (library_kit, 25)], 18)
hospital_invoice = invoice(bookshop, hospital_library, [(novel, 30), (notebook, 10)], 15)
bookshop_moves = (
    town_invoice | town_refund | seine_invoice | state_invoice | library_invoice | hospital_invoice
)
send(bookshop_moves)
dilifac_news()
for move in bookshop_moves:
    check(move, "made_available")

step("Librairie du Marché: the buyers answer on Chorus Pro (paid, suspended, rejected, to recycle)")
for status in ("SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"):
    dilifac.set_chorus_status(town_invoice.name, status)
dilifac.set_chorus_status(
    seine_invoice.name, "SUSPENDUE", "Bon de livraison signé manquant : merci de le joindre."
)
dilifac.set_chorus_status(
    state_invoice.name, "REJETEE", "Quantités facturées supérieures aux quantités livrées."
)
dilifac.set_chorus_status(
    library_invoice.name, "A_RECYCLER", "Facture à adresser au service JEUNESSE."
)
dilifac.set_chorus_status(hospital_invoice.name, "SERVICE_FAIT")
dilifac_news()
check(town_invoice, "paid")
check(seine_invoice, "suspended")
check(state_invoice, "rejected")
check(library_invoice, "to_recycle")
check(hospital_invoice, "service_done")

# Éditions du Port, through the Chorus Pro API ------------------------------------------------
step("Éditions du Port: depositing one flow of invoices and a credit note on Chorus Pro")


def chorus_sandbox(action):
    request = urllib.request.Request(f"{CHORUS_URL}/_sandbox/{action}", data=b"{}", method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


def chorus_news():
    """Chorus Pro processes everything pending, then Odoo reads the flow reports and the
    statuses, exactly as the hourly scheduled action does."""
    chorus_sandbox("process_all")
    Move.with_company(editions)._chorus_api_poll_company(editions)
    commit()


aube_invoice = invoice(
    editions, aube, [(art_book, 20), (children_book, 30)], 35, ref="AUBE-2026-0011",
    buyer_reference="MEDIA10",
)
aube_refund = invoice(
    editions, aube, [(art_book, 2)], 20, move_type="out_refund", reversed_entry_id=aube_invoice.id,
    ref="AUBE-2026-0011", buyer_reference="MEDIA10",
)
duplicate_invoice = invoice(editions, town, [(novel, 15)], 14, buyer_reference="MEDIATHEQUE")
youth_invoice = invoice(
    editions, intercommunal, [(children_book, 18)], 12, buyer_reference="JEUNESSE"
)
editions_moves = aube_invoice | aube_refund | duplicate_invoice | youth_invoice
send(editions_moves)
chorus_news()
chorus_news()
for move in editions_moves:
    check(move, "made_available")

step("Éditions du Port: the buyers answer on Chorus Pro (paid, rejected)")
client = editions._chorus_api_client()
for status in ("SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"):
    client.process_received_invoice(int(aube_invoice.chorus_invoice_id), status)
client.process_received_invoice(
    int(duplicate_invoice.chorus_invoice_id), "REJETEE", "Facture en double avec la facture papier."
)
chorus_news()
check(aube_invoice, "paid")
check(duplicate_invoice, "rejected")

# Awaiting an answer, and still to transmit ---------------------------------------------------
step("Invoices awaiting an answer, and invoices still to transmit")
# Deposited without Chorus Pro having processed the flow yet: the hourly scheduled action
# (or the "Interface Chorus" button) brings the news.
waiting_api = invoice(
    editions, seine_maritime, [(art_book, 4)], 2, ref="EJ-SM-2026-0042", buyer_reference="BDP"
)
send(waiting_api)
check(waiting_api, "sent")
# Uploaded to Dilifac: its notifications wait for the next Dilifac poll (daily, 09:30).
waiting_dilifac = invoice(
    bookshop, aube, [(children_book, 20), (library_kit, 20)], 1, ref="AUBE-2026-0007",
    buyer_reference="MEDIA10",
)
send(waiting_dilifac)
check(waiting_dilifac, "sent")
to_send = invoice(
    bookshop, aube, [(novel, 24), (library_kit, 24)], 0, ref="AUBE-2026-0007",
    buyer_reference="ARCHIVES",
)
to_send_api = invoice(editions, hospital_library, [(art_book, 2)], 0)
draft = invoice(bookshop, intercommunal, [(novel, 10)], 0, post=False, buyer_reference="JEUNESSE")
for move in (to_send, to_send_api, draft):
    check(move, "to_transmit")
commit()

rows = Move.search(
    [
        ("company_id", "in", (bookshop | editions).ids),
        ("chorus_state", "not in", ("not_concerned", False)),
    ],
    order="company_id, id",
)
labels = dict(Move._fields["chorus_state"]._description_selection(env))
for move in rows:
    print(
        f"      {move.company_id.name[:20]:20} {move.name or 'draft':18} "
        f"{move.commercial_partner_id.name[:34]:34} {labels[move.chorus_state]}",
        flush=True,
    )
step("Demo data ready")
