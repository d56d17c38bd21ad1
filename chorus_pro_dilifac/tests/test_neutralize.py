from odoo.exceptions import UserError
from odoo.modules import neutralize
from odoo.tests import tagged

from .common import ChorusProCommon


@tagged("post_install", "-at_install")
class TestChorusNeutralize(ChorusProCommon):
    def test_a_neutralised_copy_cannot_reach_chorus_or_dilifac(self):
        api_company = self.env["res.company"].create(
            {
                "name": "Librairie (API)",
                "chorus_transport": "api",
                "chorus_environment": "prod",
                "chorus_piste_client_id": "prod-client",
                "chorus_piste_client_secret": "prod-secret",
                "chorus_tech_login": "TECH_1_prod@cpro.fr",
                "chorus_tech_password": "prod-password",
                "chorus_api_base_url": "https://api.piste.gouv.fr",
            }
        )
        self.company.write(
            {
                "chorus_environment": "prod",
                "chorus_sftp_host": "sftp.dilicom.example",
                "chorus_sftp_user": "librairie",
                "chorus_sftp_password": "sftp-password",
                "chorus_sftp_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----",
                "chorus_sftp_host_fingerprint": "SHA256:abcdef",
            }
        )
        self.env.flush_all()
        self.assertIn(
            "chorus_pro_dilifac", neutralize.get_installed_modules(self.env.cr),
            "our data/neutralize.sql runs only for an installed module",
        )
        neutralize.neutralize_database(self.env.cr)
        self.env.invalidate_all()

        for company in api_company | self.company:
            self.assertFalse(company.chorus_transport, company.name)
            self.assertEqual(company.chorus_environment, "qualif", company.name)
            for field in (
                "chorus_piste_client_id",
                "chorus_piste_client_secret",
                "chorus_tech_login",
                "chorus_tech_password",
                "chorus_api_base_url",
                "chorus_sftp_host",
                "chorus_sftp_user",
                "chorus_sftp_password",
                "chorus_sftp_private_key",
                "chorus_sftp_host_fingerprint",
            ):
                self.assertFalse(company[field], f"{company.name}: {field}")
            with self.assertRaisesRegex(UserError, "transport"):
                company._chorus_client()
        # Routing data and history stay: the copy still shows what production did.
        self.assertEqual(self.company.siret, "83210456600019")
        self.assertEqual(self.company.chorus_dilifac_gln, "3012345000017")
