"""The EN 16931 validator runs beside Odoo, never inside it.

SaxonC reserves 32 GiB of address space when it loads: inside an Odoo worker, the virtual
size checked against ``limit_memory_soft`` after each request would make Odoo recycle the
worker after every send. These tests send through the user's path and look at the Odoo
process itself.
"""

import os
import sys
from unittest.mock import patch

import psutil
from odoo.addons.chorus_pro_dilifac.lib import validation
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import config

from .common import ChorusApiSandboxCommon


def _validation_workers():
    """Running validation workers started by this process."""
    return [
        child
        for child in psutil.Process().children()
        if child.is_running()
        and child.status() != psutil.STATUS_ZOMBIE
        and "--serve" in child.cmdline()
    ]


@tagged("post_install", "-at_install")
class TestValidationWorker(ChorusApiSandboxCommon):
    def _send_and_print(self, invoice):
        """The user's click: "Send to Chorus Pro", then Send in the Send & Print dialog."""
        action = invoice.action_chorus_send()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({})
        return wizard.action_send_and_print()

    def test_sending_keeps_saxon_out_of_the_odoo_process(self):
        first = self._invoice(self.town)
        second = self._invoice(self.state_buyer)
        # A batch sent earlier in this process may have left a pool of workers running.
        before = {worker.pid for worker in _validation_workers()}
        self.assertFalse(first._chorus_send())
        after_first = {worker.pid for worker in _validation_workers()}
        self.assertFalse(second._chorus_send())
        after_second = {worker.pid for worker in _validation_workers()}
        self.assertEqual((first | second).mapped("chorus_state"), ["sent", "sent"])
        self.assertNotIn("saxonche", sys.modules, "SaxonC was loaded into the Odoo process")
        self.assertLessEqual(len(after_first - before), 1, "at most one worker started")
        self.assertEqual(after_second, after_first, "the same worker validates the second one")
        self.assertIn(validation.worker_validator().worker_pid, after_second)
        # Odoo recycles a worker whose virtual size passes limit_memory_soft (2 GiB by
        # default); the validator's 32 GiB reservation must not count here.
        soft_limit = config["limit_memory_soft"]
        self.assertTrue(soft_limit, "the tests run with Odoo's default memory limits")
        self.assertLess(psutil.Process(os.getpid()).memory_info().vms, soft_limit * 0.75)

    def test_a_validation_that_cannot_run_sends_nothing(self):
        invoice = self._invoice(self.town)
        validator = validation.worker_validator()
        validator.close()
        # Under a 2 GiB address-space limit SaxonC cannot start: the worker dies at start.
        with patch.dict(os.environ, {"CHORUS_VALIDATOR_ADDRESS_SPACE_MB": "2048"}):
            with self.assertRaises(UserError) as caught:
                self._send_and_print(invoice)
        message = str(caught.exception)
        self.assertIn(invoice.name, message)
        self.assertIn("Nothing was sent", message)
        self.assertEqual(invoice.chorus_state, "to_transmit")
        self.assertFalse(invoice.chorus_sent_attachment_id)
        self.assertFalse(self.sandbox.flows(), "nothing left Odoo")
        self.assertNotIn("saxonche", sys.modules)
        # Once the validator can run again, the same click sends the invoice.
        self._send_and_print(invoice)
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertEqual(len(self.sandbox.flows()), 1)
