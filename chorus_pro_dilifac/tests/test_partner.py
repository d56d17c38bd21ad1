from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import ChorusProCommon


@tagged("post_install", "-at_install")
class TestChorusPartner(ChorusProCommon):
    def test_state_gets_the_fixed_gln_and_siret(self):
        self.assertEqual(self.state_buyer.chorus_gln, "3025594697303")
        self.assertEqual(self.state_buyer.siret, "11000201100044")

    def test_state_siret_cannot_be_changed(self):
        self.state_buyer.siret = "21340172200011"
        self.assertEqual(self.state_buyer.siret, "11000201100044")

    def test_local_authority_keeps_its_own_siret_with_the_fixed_gln(self):
        self.assertEqual(self.town.chorus_gln, "3025594696108")
        self.assertEqual(self.town.siret, "21340172200011")

    def test_other_public_body_has_an_optional_own_gln(self):
        self.assertFalse(self.hospital.chorus_gln)
        self.hospital.chorus_gln = "3012345000024"
        self.assertEqual(self.hospital.chorus_gln, "3012345000024")

    def test_changing_debtor_type_in_the_form(self):
        with Form(self.hospital) as form:
            form.chorus_debtor_type = "state"
            self.assertEqual(form.siret, "11000201100044")
            self.assertEqual(form.chorus_gln, "3025594697303")
            form.chorus_debtor_type = "other"
            self.assertFalse(form.chorus_gln)
            self.assertFalse(form.siret)
            form.siret = "26750001500016"

    def test_siret_is_stored_without_spaces(self):
        self.hospital.siret = "267 500 015 00016"
        self.assertEqual(self.hospital.siret, "26750001500016")

    def test_invalid_siret_names_partner_and_field(self):
        with self.assertRaisesRegex(ValidationError, "Centre hospitalier de Paris-Est.*SIRET"):
            self.hospital.siret = "26750001500017"
        with self.assertRaisesRegex(ValidationError, "SIRET"):
            self.hospital.siret = "2675000150001"

    def test_invalid_gln_names_partner_and_field(self):
        with self.assertRaisesRegex(ValidationError, "Centre hospitalier de Paris-Est.*GLN"):
            self.hospital.chorus_gln = "3012345000025"

    def test_send_electronically_sets_the_sending_method(self):
        self.assertEqual(self.town.invoice_sending_method, "chorus_pro")
        self.town.chorus_einvoicing = False
        self.assertNotEqual(self.town.invoice_sending_method, "chorus_pro")

    def test_new_siret_clears_directory_data(self):
        self.hospital.write(
            {
                "chorus_structure_id": 2003,
                "chorus_structure_active": True,
                "chorus_service_required": True,
                "chorus_service_ids": [(0, 0, {"code": "BIBLIO", "name": "Bibliothèque"})],
            }
        )
        self.hospital.siret = "20005478100014"
        self.assertFalse(self.hospital.chorus_structure_id)
        self.assertFalse(self.hospital.chorus_service_required)
        self.assertFalse(self.hospital.chorus_service_ids)
