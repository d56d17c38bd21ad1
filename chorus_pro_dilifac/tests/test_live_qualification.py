"""Against the real Chorus Pro qualification platform, when its credentials are given.

Skipped unless the environment names a PISTE sandbox application and a qualification
technical account (see docs/chorus-pro.md §1.5):

* ``CHORUS_PRO_LIVE_CLIENT_ID``, ``CHORUS_PRO_LIVE_CLIENT_SECRET`` (PISTE sandbox);
* ``CHORUS_PRO_LIVE_LOGIN``, ``CHORUS_PRO_LIVE_PASSWORD`` (technical account);
* ``CHORUS_PRO_LIVE_SUPPLIER_SIRET``: the qualification structure the account belongs to;
* optional ``CHORUS_PRO_LIVE_BUYER_SIRET``: a qualification public buyer; with it the
  directory is read and one invoice is deposited (qualification data only).

Run only this class with ``--test-tags /chorus_pro_dilifac:TestChorusLiveQualification``.
"""

import os
import unittest

from odoo.tests import tagged

from .common import ChorusProCommon

LIVE = "CHORUS_PRO_LIVE_"
REQUIRED = ("CLIENT_ID", "CLIENT_SECRET", "LOGIN", "PASSWORD", "SUPPLIER_SIRET")


def live_settings():
    """The given credentials, or None when any is missing."""
    values = {name: os.environ.get(LIVE + name) for name in REQUIRED}
    if not all(values.values()):
        return None
    values["BUYER_SIRET"] = os.environ.get(LIVE + "BUYER_SIRET")
    return values


@tagged("post_install", "-at_install", "chorus_live")
class TestChorusLiveQualification(ChorusProCommon):
    @classmethod
    def setUpClass(cls):
        cls.live = live_settings()
        if not cls.live:
            missing = ", ".join(LIVE + name for name in REQUIRED if not os.environ.get(LIVE + name))
            raise unittest.SkipTest(f"no Chorus Pro qualification credentials ({missing})")
        super().setUpClass()
        cls.company.write(
            {
                "siret": cls.live["SUPPLIER_SIRET"],
                "chorus_transport": "api",
                "chorus_environment": "qualif",
                "chorus_piste_client_id": cls.live["CLIENT_ID"],
                "chorus_piste_client_secret": cls.live["CLIENT_SECRET"],
                "chorus_tech_login": cls.live["LOGIN"],
                "chorus_tech_password": cls.live["PASSWORD"],
                "chorus_api_oauth_url": False,
                "chorus_api_base_url": False,
            }
        )

    def _buyer(self):
        if not self.live["BUYER_SIRET"]:
            self.skipTest(f"{LIVE}BUYER_SIRET is not set")
        buyer = self._public_partner(
            "Acheteur de qualification", "other", siret=self.live["BUYER_SIRET"]
        )
        buyer.action_chorus_check_directory()
        return buyer

    def test_connection_test_succeeds_with_the_official_urls(self):
        message = self.company._chorus_test_connection()
        self.assertIn("Chorus Pro", message)

    def test_directory_knows_the_buyer(self):
        buyer = self._buyer()
        self.assertTrue(buyer.chorus_structure_id)
        self.assertTrue(buyer.chorus_directory_checked_on)

    def test_an_invoice_is_deposited_and_its_flow_read_back(self):
        buyer = self._buyer()
        service = buyer.chorus_service_ids.filtered("is_active")[:1]
        vals = {}
        if service:
            vals["buyer_reference"] = service.code
        if buyer.chorus_engagement_required or buyer.chorus_service_or_engagement:
            vals["ref"] = "EJ-QUALIF-1"
        invoice = self._invoice(buyer, **vals)
        failures = invoice._chorus_send()
        self.assertFalse(failures, failures.get(invoice))
        self.assertEqual(invoice.chorus_state, "sent")
        self.assertTrue(invoice.chorus_flow_number)
        # The qualification platform integrates flows later: one poll must not fail.
        self.env["account.move"]._cron_chorus_api_poll()
        self.assertNotEqual(invoice.chorus_state, "error")
