"""A French bookshop selling to public buyers: the set-up every Chorus Pro test starts from.

Partners reuse the SIRETs of the sandboxes' seed directory (sandboxes/seed_directory.json),
so the same records work against the local Chorus Pro and Dilifac sandboxes.
"""

import os
import sys
import unittest
from pathlib import Path

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import tagged
from odoo.tools import config

SUPPLIER_SIRET = "83210456600019"
DILIFAC_GLN = "3012345000017"
# The sandboxes stand next to the addon in its repository, not inside it.
REPO_ROOT = Path(__file__).resolve().parents[2]


def require_sandboxes():
    """Make ``sandboxes`` importable from the repository, or skip where it is absent
    (an addon installed on its own: exclude these tests with ``-chorus_sandbox``)."""
    if not (REPO_ROOT / "sandboxes" / "__init__.py").is_file():
        raise unittest.SkipTest("the Chorus Pro/Dilifac sandboxes are not next to the addon")
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))


class ChorusProCommon(AccountTestInvoicingCommon):
    @classmethod
    @AccountTestInvoicingCommon.setup_country("fr")
    def setUpClass(cls):
        super().setUpClass()
        # wkhtmltopdf fetches the report's assets from the test HTTP server.
        cls.env["ir.config_parameter"].sudo().set_param(
            "report.url", f"http://127.0.0.1:{config['http_port']}"
        )
        # Odoo's own runner holds the registry lock while tests run: the server answers
        # wkhtmltopdf only through the test's cursor, as an HttpCase does.
        if not cls.registry.in_test_mode():
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "name": "Librairie du Marché",
                "siret": SUPPLIER_SIRET,
                "vat": "FR86832104566",
                "street": "3 place du Marché",
                "zip": "76000",
                "city": "Rouen",
                "chorus_transport": "dilifac",
                "chorus_dilifac_gln": DILIFAC_GLN,
                "chorus_dilifac_reseller_id": "R0042",
            }
        )
        cls.bank_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": cls.company.partner_id.id,
                "allow_out_payment": True,
            }
        )
        cls.company.chorus_bank_account_id = cls.bank_account
        cls.tax_20 = cls._fr_tax("tva_normale")
        cls.tax_5_5 = cls._fr_tax("tva_reduite")
        cls.book = cls.env["product.product"].create(
            {"name": "Roman de poche", "lst_price": 8.5, "taxes_id": [Command.set(cls.tax_5_5.ids)]}
        )
        cls.stationery = cls.env["product.product"].create(
            {"name": "Carnet", "lst_price": 4.0, "taxes_id": [Command.set(cls.tax_20.ids)]}
        )
        cls.state_buyer = cls._public_partner("Bibliothèque DGFiP", "state")
        cls.town = cls._public_partner(
            "Commune de Saint-Libre", "local_authority", siret="21340172200011"
        )
        cls.hospital = cls._public_partner(
            "Centre hospitalier de Paris-Est", "other", siret="26750001500016"
        )

    @classmethod
    def _fr_tax(cls, xmlid):
        """The French chart loads the reduced rates inactive (see docs/odoo-host.md)."""
        tax = cls.env["account.chart.template"].with_company(cls.company).ref(xmlid)
        tax.active = True
        return tax

    @classmethod
    def _public_partner(cls, name, debtor_type, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "country_id": cls.env.ref("base.fr").id,
                "street": "1 rue de la Mairie",
                "zip": "75001",
                "city": "Paris",
                "chorus_debtor_type": debtor_type,
                "chorus_einvoicing": True,
                **vals,
            }
        )

    @classmethod
    def _invoice(cls, partner, lines=None, move_type="out_invoice", post=True, **vals):
        """An invoice with, by default, a book at 5.5 % and stationery at 20 %."""
        lines = lines or [(cls.book, 10, 8.5), (cls.stationery, 2, 4.0)]
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "quantity": qty, "price_unit": price})
                    for product, qty, price in lines
                ],
                **vals,
            }
        )
        if post:
            move.action_post()
        return move


@tagged("post_install", "-at_install", "chorus_sandbox")
class ChorusApiSandboxCommon(ChorusProCommon):
    """The company talks to a local Chorus Pro sandbox over real HTTPS, trusting the
    sandbox's certificate authority as a company trusts a private CA."""

    @classmethod
    def setUpClass(cls):
        require_sandboxes()
        super().setUpClass()
        from sandboxes.chorus_pro import ChorusProSandbox

        cls.sandbox = ChorusProSandbox()
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        # The sandbox's CA is trusted the standard way (requests' REQUESTS_CA_BUNDLE).
        previous = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = cls.sandbox.ca_file
        cls.addClassCleanup(
            lambda: os.environ.pop("REQUESTS_CA_BUNDLE")
            if previous is None
            else os.environ.__setitem__("REQUESTS_CA_BUNDLE", previous)
        )
        credentials = cls.sandbox.credentials
        cls.company.write(
            {
                "chorus_transport": "api",
                "chorus_piste_client_id": credentials["client_id"],
                "chorus_piste_client_secret": credentials["client_secret"],
                "chorus_tech_login": credentials["login"],
                "chorus_tech_password": credentials["password"],
                "chorus_api_oauth_url": cls.sandbox.https_url,
                "chorus_api_base_url": cls.sandbox.https_url,
            }
        )

    def setUp(self):
        super().setUp()
        # The database rolls back after each test (invoice numbers come again): so does Chorus.
        self.sandbox.platform.reset()

    def play_buyer(self, invoice, status, reason=None):
        self.company._chorus_api_client().process_received_invoice(
            int(invoice.chorus_invoice_id), status, reason
        )

    def poll(self):
        """What the hourly scheduled action does."""
        self.env["account.move"]._cron_chorus_api_poll()


@tagged("post_install", "-at_install", "chorus_sandbox")
class ChorusDilifacSandboxCommon(ChorusProCommon):
    """The company uploads to a local Dilifac: a real sshd on loopback and its processor."""

    @classmethod
    def setUpClass(cls):
        require_sandboxes()
        super().setUpClass()
        import shutil
        import tempfile

        from sandboxes.dilifac.processor import DilifacProcessor
        from sandboxes.dilifac.sshd import SshdSandbox

        base = Path(tempfile.mkdtemp(prefix="dilifac-odoo-"))
        os.chmod(base, 0o755)
        cls.addClassCleanup(shutil.rmtree, base, ignore_errors=True)
        cls.sshd = SshdSandbox(base / "account")
        cls.sshd.start()
        cls.addClassCleanup(cls.sshd.stop)
        cls.processor = DilifacProcessor(cls.sshd.root, immediate=True)
        cls.company.write(
            {
                "chorus_transport": "dilifac",
                "chorus_sftp_host": cls.sshd.host,
                "chorus_sftp_port": cls.sshd.port,
                "chorus_sftp_user": cls.sshd.username,
                "chorus_sftp_password": cls.sshd.password,
                "chorus_sftp_host_fingerprint": cls.sshd.host_key_fingerprint,
            }
        )

    def setUp(self):
        super().setUp()
        # The database rolls back after each test: so does the Dilifac account.
        for folder in ("I", "I/.done", "O", "ARC"):
            for path in (self.sshd.root / folder).glob("*"):
                if path.is_file():
                    path.unlink()
        for path in (self.sshd.root / ".sandbox").glob("processor.*"):
            path.unlink()

    def dilifac_round(self):
        """Dilifac processes the uploads, then Odoo reads the notifications."""
        self.processor.run_once()
        self.env["account.move"]._cron_chorus_dilifac_poll()
