from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ChorusProCommon


@tagged("post_install", "-at_install")
class TestChorusSecurity(ChorusProCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sudo().write(
            {"chorus_piste_client_secret": "s3cret-piste", "chorus_sftp_password": "s3cret-sftp"}
        )
        cls.accountant = new_test_user(
            cls.env,
            login="chorus_accountant",
            groups="account.group_account_manager,base.group_partner_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def test_accountant_cannot_read_credentials(self):
        company = self.company.with_user(self.accountant)
        self.assertEqual(company.chorus_dilifac_gln, self.company.chorus_dilifac_gln)
        for field in (
            "chorus_piste_client_secret",
            "chorus_tech_password",
            "chorus_sftp_password",
            "chorus_sftp_private_key",
        ):
            with self.assertRaises(AccessError, msg=field):
                company.read([field])

    def test_accountant_uses_everything_else(self):
        invoice = self._invoice(self.town, post=False).with_user(self.accountant)
        invoice.purchase_order_reference = "EJ-1"
        invoice._chorus_apply_event("odoo", "NOTE", "checked by phone")
        self.town.with_user(self.accountant).write(
            {"chorus_service_ids": [(0, 0, {"code": "MEDIATHEQUE"})]}
        )
        self.assertEqual(invoice.chorus_history_ids.label, "checked by phone")

    def test_history_is_written_by_the_transports_only(self):
        invoice = self._invoice(self.town)
        with self.assertRaises(AccessError):
            self.env["chorus.pro.history"].with_user(self.accountant).create(
                {"move_id": invoice.id, "source": "dilifac", "code": "RECU", "event_key": "forged"}
            )

    def test_second_company_cannot_see_the_first_ones_records(self):
        invoice = self._invoice(self.town)
        self.env["chorus.pro.history"].sudo().create(
            {"move_id": invoice.id, "source": "odoo", "code": "X"}
        )
        other_company = (
            self.company_data_2["company"]
            if hasattr(self, "company_data_2")
            else self.setup_other_company()["company"]
        )
        other_user = new_test_user(
            self.env,
            login="other_accountant",
            groups="account.group_account_manager",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        history = self.env["chorus.pro.history"].with_user(other_user)
        self.assertFalse(history.search([("move_id", "=", invoice.id)]))
        private_partner = self.env["res.partner"].create(
            {"name": "Private structure", "company_id": self.company.id}
        )
        service = self.env["chorus.pro.service"].create(
            {"partner_id": private_partner.id, "code": "S1"}
        )
        self.assertFalse(
            self.env["chorus.pro.service"].with_user(other_user).search([("id", "=", service.id)])
        )
