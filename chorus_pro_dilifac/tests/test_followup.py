import datetime

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import ChorusApiSandboxCommon, ChorusProCommon


@tagged("post_install", "-at_install")
class TestChorusFollowup(ChorusApiSandboxCommon):
    def chorus_activities(self, record):
        return record.activity_ids.filtered(lambda a: (a.summary or "").startswith("Chorus Pro"))

    def attention(self):
        return self.env["account.move"].search([("chorus_needs_attention", "=", True)])

    def test_paid_records_the_payment_date_and_delay(self):
        invoice = self._invoice(self.town)
        self.assertFalse(invoice._chorus_send())
        for _step in range(2):
            self.sandbox.process_all()
            self.poll()
        for status in ("SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"):
            self.play_buyer(invoice, status)
        self.poll()
        self.assertEqual(invoice.chorus_state, "paid")
        paid_line = invoice.chorus_history_ids.filtered(lambda h: h.code == "MISE_EN_PAIEMENT")
        self.assertEqual(invoice.chorus_paid_on, paid_line.date)
        expected = (invoice.chorus_paid_on - invoice.chorus_sent_on).total_seconds() / 86400
        # Stored with one decimal; a payment dated before the deposit stays negative.
        self.assertAlmostEqual(invoice.chorus_days_to_payment, expected, delta=0.05)

        # The report: paid invoices only, average and median per buyer.
        invoice.chorus_sent_on = invoice.chorus_paid_on - datetime.timedelta(days=10)
        other = self._invoice(self.town)
        other.write(
            {
                "chorus_state": "paid",
                "chorus_sent_on": fields.Datetime.now() - datetime.timedelta(days=20),
                "chorus_paid_on": fields.Datetime.now(),
            }
        )
        self._invoice(self.town).chorus_sent_on = fields.Datetime.now()  # not paid
        self.assertAlmostEqual(invoice.chorus_days_to_payment, 10.0)
        row = self.env["chorus.pro.payment.delay"].search(
            [("dimension", "=", "buyer"), ("partner_id", "=", self.town.id)]
        )
        self.assertEqual(row.invoice_count, 2)
        self.assertAlmostEqual(row.average_days, 15.0)
        self.assertAlmostEqual(row.median_days, 15.0)

    def test_alert_is_written_in_the_assignees_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["chorus_pro_dilifac"], ["fr_FR"], overwrite=True
        )
        accountant = new_test_user(
            self.env,
            login="comptable",
            groups="account.group_account_invoice",
            lang="fr_FR",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        invoice = self._invoice(self.town, invoice_user_id=accountant.id)
        self.assertFalse(invoice._chorus_send())
        invoice.chorus_sent_on = fields.Datetime.now() - datetime.timedelta(hours=49)
        self.assertNotEqual(self.env.lang, "fr_FR", "the scheduled action is not in French")
        self.env["account.move"]._cron_chorus_followup()
        activity = self.chorus_activities(invoice)
        self.assertEqual(activity.user_id, accountant)
        self.assertIn("aucune nouvelle depuis 48 heures", activity.summary)

    def test_48_hours_without_news_gives_one_activity(self):
        invoice = self._invoice(self.town, invoice_user_id=self.env.user.id)
        self.assertFalse(invoice._chorus_send())
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertFalse(invoice.chorus_news_overdue, "just sent")
        self.assertNotIn(invoice, self.attention())

        invoice.chorus_sent_on = fields.Datetime.now() - datetime.timedelta(hours=49)
        self.assertTrue(invoice.chorus_news_overdue)
        self.assertTrue(invoice.chorus_needs_attention)
        self.assertIn(invoice, self.attention())
        self.env["account.move"]._cron_chorus_followup()
        self.env["account.move"]._cron_chorus_followup()
        activity = self.chorus_activities(invoice)
        self.assertEqual(len(activity), 1, "one activity, not two after a second run")
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertEqual(activity.user_id, self.env.user)
        self.assertIn("48 hours", activity.summary)

        self.sandbox.process_all()
        self.poll()
        self.assertFalse(invoice.chorus_news_overdue, "Chorus Pro answered")
        self.assertNotIn(invoice, self.attention())

    def test_error_or_rejection_alert_once_per_situation(self):
        invoice = self._invoice(self.town)
        invoice._chorus_apply_event(
            "chorus_invoice", "REJETEE", "Rejetée", comment="Mauvais prix", state="rejected"
        )
        self.assertIn(invoice, self.attention())
        self.env["account.move"]._cron_chorus_followup()
        self.env["account.move"]._cron_chorus_followup()
        activity = self.chorus_activities(invoice)
        self.assertEqual(len(activity), 1)
        self.assertIn("Mauvais prix", str(activity.note))
        self.assertIn("Process rejection", str(activity.note))
        # Done by the user while nothing changed: not created again.
        activity.action_feedback(feedback="vu")
        self.env["account.move"]._cron_chorus_followup()
        self.assertFalse(self.chorus_activities(invoice))

    def test_rejection_alert_is_written_in_the_assignees_language(self):
        """The scheduled action runs in English; the French accountant reads French."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["chorus_pro_dilifac"], ["fr_FR"])
        accountant = self.env["res.users"].create(
            {
                "name": "Claire Martin",
                "login": "claire.martin",
                "lang": "fr_FR",
                "tz": "Europe/Paris",
                "company_id": self.company.id,
                "company_ids": [self.company.id],
                "groups_id": [self.env.ref("account.group_account_invoice").id],
            }
        )
        invoice = self._invoice(self.town, invoice_user_id=accountant.id)
        invoice._chorus_apply_event(
            "chorus_invoice", "REJETEE", "Rejetée", comment="Mauvais prix", state="rejected"
        )
        self.env["account.move"].with_context(lang="en_US")._cron_chorus_followup()
        activity = self.chorus_activities(invoice)
        self.assertEqual(activity.user_id, accountant)
        self.assertEqual(activity.summary, f"Chorus Pro : {invoice.name} rejetée")
        self.assertIn("Traiter le rejet", str(activity.note))

    def test_password_expiry_reminder_once(self):
        today = fields.Date.context_today(self.company)
        partner = self.company.partner_id
        self.company.chorus_tech_password_expiry = today + datetime.timedelta(days=20)
        self.env["account.move"]._cron_chorus_followup()
        self.assertFalse(self.chorus_activities(partner), "not yet: more than 15 days left")
        self.company.chorus_tech_password_expiry = today + datetime.timedelta(days=15)
        self.env["account.move"]._cron_chorus_followup()
        self.env["account.move"]._cron_chorus_followup()
        reminder = self.chorus_activities(partner)
        self.assertEqual(len(reminder), 1)
        self.assertIn("password", reminder.summary)
        # A renewed password (new expiry) gets its own reminder, when its time comes.
        self.company.chorus_tech_password_expiry = today + datetime.timedelta(days=10)
        self.env["account.move"]._cron_chorus_followup()
        self.assertEqual(len(self.chorus_activities(partner)), 2)

    def test_links_debtor_type_and_menus(self):
        invoice = self._invoice(self.town)
        self.assertEqual(invoice.chorus_portal_url, "https://chorus-pro.gouv.fr/qualif")
        self.company.write(
            {"chorus_environment": "prod", "chorus_dilifac_followup_url": "https://dilifac.example"}
        )
        invoice.invalidate_recordset(["chorus_portal_url", "chorus_dilifac_url"])
        self.assertEqual(invoice.chorus_portal_url, "https://portail.chorus-pro.gouv.fr")
        self.assertEqual(invoice.chorus_dilifac_url, "https://dilifac.example")
        local_authorities = [("chorus_debtor_type", "=", "local_authority")]
        self.assertIn(invoice, self.env["account.move"].search(local_authorities))
        action = self.env.ref("chorus_pro_dilifac.action_chorus_needs_attention")
        self.assertIn("search_default_chorus_needs_attention", action.context)
        report = self.env.ref("chorus_pro_dilifac.action_chorus_invoice_report")
        self.assertTrue(report.view_mode.startswith("pivot,graph"))


@tagged("post_install", "-at_install")
class TestChorusPortalNoNews(ChorusProCommon):
    def test_a_portal_upload_is_never_overdue(self):
        invoice = self._invoice(self.town)
        invoice.write(
            {
                "chorus_state": "sent",
                "chorus_sent_transport": "portal",
                "chorus_sent_on": fields.Datetime.now() - datetime.timedelta(days=5),
            }
        )
        self.assertFalse(invoice.chorus_news_overdue)
        self.assertNotIn(
            invoice, self.env["account.move"].search([("chorus_needs_attention", "=", True)])
        )
