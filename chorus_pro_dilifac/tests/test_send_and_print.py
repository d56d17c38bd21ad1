from odoo.tests import tagged

from .common import ChorusApiSandboxCommon


@tagged("post_install", "-at_install")
class TestChorusSendAndPrint(ChorusApiSandboxCommon):
    """The invoice's "Send to Chorus Pro" button is Send & Print with Chorus Pro ticked."""

    def _wizard(self, action):
        return self.env[action["res_model"]].with_context(**action["context"]).create({})

    def test_the_button_opens_send_and_print_with_chorus_pro_ticked(self):
        invoice = self._invoice(self.town)
        # The customer now prefers e-mail: plain Send & Print would tick e-mail.
        self.town.with_company(self.company).invoice_sending_method = "email"
        self.assertEqual(self._wizard(invoice.action_send_and_print()).sending_methods, ["email"])

        action = invoice.action_chorus_send()
        self.assertEqual(action["res_model"], "account.move.send.wizard")
        wizard = self._wizard(action)
        self.assertEqual(wizard.sending_methods, ["chorus_pro"])
        self.assertFalse(self.sandbox.flows(), "opening the wizard sends nothing")

        wizard.action_send_and_print()
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertEqual(len(self.sandbox.flows()), 1)
