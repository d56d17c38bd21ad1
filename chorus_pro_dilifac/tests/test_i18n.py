"""The French translation: complete, loadable, and in the accountants' Chorus Pro words."""
import re
from pathlib import Path

import polib
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

I18N = Path(__file__).resolve().parents[1] / "i18n"
PLACEHOLDER = re.compile(r"%\(\w+\)[-.\d]*[sdfg]|%[sd]")


@tagged("post_install", "-at_install")
class TestFrenchTranslation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(
            ["chorus_pro_dilifac"], ["fr_FR"], overwrite=True
        )
        cls.env_fr = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def _selection(self, model, field):
        return dict(self.env_fr[model]._fields[field]._description_selection(self.env_fr))

    def test_every_message_is_translated(self):
        pot = polib.pofile(str(I18N / "chorus_pro_dilifac.pot"))
        po = polib.pofile(str(I18N / "fr.po"))
        self.assertFalse([entry.msgid for entry in po if not entry.msgstr.strip()], "empty msgstr")
        self.assertFalse(
            {entry.msgid for entry in pot} - {entry.msgid for entry in po},
            "msgids of the .pot missing in fr.po",
        )
        for entry in po:
            self.assertEqual(
                sorted(PLACEHOLDER.findall(entry.msgid)),
                sorted(PLACEHOLDER.findall(entry.msgstr)),
                f"placeholders of {entry.msgid!r}",
            )

    def test_field_labels_and_states(self):
        def label(model, field):
            return self.env_fr["ir.model.fields"]._get(model, field).field_description

        self.assertEqual(label("res.partner", "chorus_debtor_type"), "Type de débiteur")
        self.assertEqual(label("account.move", "buyer_reference"), "Code service")
        self.assertEqual(label("account.move", "purchase_order_reference"), "Numéro d'engagement")
        self.assertEqual(label("account.move", "contract_reference"), "Numéro de marché")
        self.assertEqual(label("account.move", "chorus_cadre"), "Cadre de facturation")

        states = self._selection("account.move", "chorus_state")
        self.assertEqual(states["to_transmit"], "À envoyer")
        self.assertEqual(states["integrated"], "Déposée")
        self.assertEqual(states["sent"], "Envoyée, en attente de réponse")
        self.assertEqual(states["made_available"], "Mise à disposition")
        self.assertEqual(states["service_done"], "Service fait")
        self.assertEqual(states["mandated"], "Mandatée")
        self.assertEqual(states["paid"], "Mise en paiement")
        self.assertEqual(states["rejected"], "Rejetée")
        self.assertEqual(states["suspended"], "Suspendue")
        self.assertEqual(states["to_recycle"], "À recycler")
        debtors = self._selection("res.partner", "chorus_debtor_type")
        self.assertEqual(debtors["local_authority"], "Collectivité territoriale")
        self.assertEqual(debtors["state"], "Administration d'État")
        self.assertEqual(debtors["other"], "Autre entité publique")

    def test_apps_page(self):
        module = self.env_fr.ref("base.module_chorus_pro_dilifac")
        self.assertEqual(
            module.shortdesc, "Facturation électronique Chorus Pro (API, Dilifac, portail)"
        )
        self.assertTrue(module.summary.startswith("Envoyer factures et avoirs"))

    def test_buttons_and_messages(self):
        arch = self.env_fr["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Vérifier dans l'annuaire Chorus Pro", arch)
        arch = self.env_fr["account.move"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Envoyer à Chorus Pro", arch)

        partner = self.env_fr["res.partner"].create({"name": "Commune de Saint-Libre"})
        self.env.company.chorus_transport = "dilifac"
        with self.assertRaisesRegex(UserError, "PISTE"):
            partner.action_chorus_check_directory()
