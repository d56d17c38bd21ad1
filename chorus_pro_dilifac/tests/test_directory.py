from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ChorusApiSandboxCommon

CRON = "chorus_pro_dilifac.ir_cron_chorus_refresh_directory"


@tagged("post_install", "-at_install")
class TestDirectoryForADilifacCompany(ChorusApiSandboxCommon):
    """A bookseller sending through Dilifac with PISTE credentials for look-ups only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.chorus_transport = "dilifac"

    def calls(self):
        return sum(self.sandbox.stats["calls"].values())

    def triggers(self):
        return (
            self.env["ir.cron.trigger"]
            .sudo()
            .search_count([("cron_id", "=", self.env.ref(CRON).id)])
        )

    def test_check_button_reads_flags_and_services(self):
        self.assertTrue(self.hospital.chorus_directory_available)
        self.hospital.action_chorus_check_directory()
        self.assertEqual(self.hospital.chorus_structure_id, 2003)
        self.assertTrue(self.hospital.chorus_service_required)
        services = {s.code: s for s in self.hospital.chorus_service_ids}
        self.assertTrue(services["PHARMA"].engagement_required)
        self.assertFalse(services["ANCIEN"].is_active)

    def test_a_new_siret_is_checked_by_the_scheduled_action_not_by_write(self):
        self.hospital.action_chorus_check_directory()
        calls, triggers = self.calls(), self.triggers()
        self.hospital.siret = "20005478100014"
        self.assertEqual(self.calls(), calls, "no network call while saving the customer")
        self.assertEqual(self.triggers(), triggers + 1, "the directory refresh is started")
        self.assertTrue(self.hospital.chorus_directory_pending)
        self.assertFalse(self.hospital.chorus_structure_id, "old directory data cleared")
        self.assertFalse(self.hospital.chorus_service_ids)

        self.env["res.partner"]._cron_chorus_refresh_directory()
        self.assertFalse(self.hospital.chorus_directory_pending)
        self.assertEqual(self.hospital.chorus_structure_id, 2008)
        self.assertFalse(self.hospital.chorus_service_required)
        self.assertEqual(
            set(self.hospital.chorus_service_ids.mapped("code")), {"LECTURE", "JEUNESSE"}
        )

    def test_a_siret_unknown_to_the_directory_is_said_on_the_customer(self):
        self.hospital.siret = "21690123100029"  # valid key, not in the directory
        self.env["res.partner"]._cron_chorus_refresh_directory()
        self.assertFalse(self.hospital.chorus_directory_pending, "tried once, not forever")
        self.assertFalse(self.hospital.chorus_directory_checked_on)
        self.assertIn("21690123100029", self.hospital.chorus_directory_message)

    def test_weekly_refresh_skips_structures_checked_this_week(self):
        self.hospital.action_chorus_check_directory()
        (self.state_buyer | self.town).write({"chorus_directory_pending": False})
        (self.state_buyer | self.town).action_chorus_check_directory()
        calls = self.calls()
        self.env["res.partner"]._cron_chorus_refresh_directory()
        self.assertEqual(self.calls(), calls, "nothing stale, nothing pending")

    def test_search_by_town_creates_the_customer_with_its_directory_data(self):
        wizard = self.env["chorus.directory.search"].create({"text": "port-lumiere"})
        wizard.action_search()
        (line,) = wizard.line_ids
        self.assertEqual(
            (line.name, line.siret, line.postal_code, line.town, line.debtor_type),
            ("Ville de Port-Lumière", "21130055300016", "13002", "Port-Lumière", "local_authority"),
        )
        self.assertFalse(line.existing_partner_id)
        action = line.action_choose()
        partner = self.env["res.partner"].browse(action["res_id"])
        self.assertEqual((partner.name, partner.siret), ("Ville de Port-Lumière", "21130055300016"))
        self.assertEqual((partner.zip, partner.city), ("13002", "Port-Lumière"))
        self.assertTrue(partner.chorus_einvoicing)
        self.assertEqual(partner.chorus_structure_id, 2005)
        self.assertTrue(partner.chorus_service_or_engagement)
        self.assertEqual(partner.chorus_service_ids.mapped("code"), ["CULTURE"])

        again = self.env["chorus.directory.search"].create({"siret": "2113005530"})
        again.action_search()
        self.assertEqual(again.line_ids.existing_partner_id, partner)
        self.assertEqual(again.line_ids.action_choose()["res_id"], partner.id, "no duplicate")
        self.assertEqual(
            self.env["res.partner"].search_count([("siret", "=", "21130055300016")]), 1
        )

    def test_search_completes_the_customer_it_was_started_from(self):
        partner = self.env["res.partner"].create({"name": "Hôpital", "is_company": True})
        wizard = self.env["chorus.directory.search"].create(
            {"partner_id": partner.id, "text": "Paris-Est"}
        )
        wizard.action_search()
        wizard.line_ids.action_choose()
        self.assertEqual(partner.siret, "26750001500016")
        self.assertEqual(partner.chorus_debtor_type, "other")
        self.assertEqual(partner.chorus_structure_id, 2003)

    def test_search_without_match_lists_nothing(self):
        wizard = self.env["chorus.directory.search"].create({"text": "Atlantide"})
        wizard.action_search()
        self.assertTrue(wizard.searched)
        self.assertFalse(wizard.line_ids)
        with self.assertRaisesRegex(UserError, "SIRET"):
            self.env["chorus.directory.search"].create({}).action_search()

    def test_without_credentials_the_customer_tab_says_so_and_nobody_is_called(self):
        self.company.sudo().chorus_piste_client_id = False
        self.hospital.invalidate_recordset(["chorus_directory_available"])
        self.assertFalse(self.hospital.chorus_directory_available)
        with self.assertRaisesRegex(UserError, "PISTE credentials"):
            self.hospital.action_chorus_check_directory()
        arch = self.env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("No Chorus Pro API credentials", arch)
        calls = self.calls()
        self.hospital.siret = "20005478100014"
        self.assertTrue(self.hospital.chorus_directory_pending)
        self.env["res.partner"]._cron_chorus_refresh_directory()
        self.assertEqual(self.calls(), calls)
        self.assertTrue(self.hospital.chorus_directory_pending, "waits for credentials")
