from odoo import Command, _, fields, models
from odoo.exceptions import UserError

from ..lib.codes import DEBTOR_TYPES, SIRET_STATE
from ..lib.errors import TransportError
from .dialog import reopen


def _guess_debtor_type(siret):
    """The State has one SIRET; SIRENs 21 to 23 are communes, départements and régions
    (INSEE numbering of local authorities); any other public body is 'other'. Only a
    proposal: the user confirms it before the customer is created."""
    if siret == SIRET_STATE:
        return "state"
    if (siret or "")[:2] in ("21", "22", "23"):
        return "local_authority"
    return "other"


class ChorusDirectorySearch(models.TransientModel):
    """Find a public buyer in the Chorus Pro directory (by SIRET, name, town or postal
    code) and make it a customer with its flags and services, instead of typing them."""

    _name = "chorus.directory.search"
    _description = "Search the Chorus Pro directory"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer to complete",
        help="Left empty, the chosen structure becomes a new customer.",
    )
    siret = fields.Char(string="SIRET", help="The whole SIRET or its first digits.")
    text = fields.Char(string="Name, town or postal code")
    line_ids = fields.One2many("chorus.directory.search.line", "wizard_id", string="Structures")
    searched = fields.Boolean(readonly=True)

    def _reopen(self):
        return reopen(self, _("Search the Chorus Pro directory"))

    def action_search(self):
        self.ensure_one()
        siret = (self.siret or "").replace(" ", "")
        text = (self.text or "").strip()
        if not siret and not text:
            raise UserError(_("Type a SIRET, or a name, a town or a postal code."))
        client = self.env.company._chorus_directory_client()
        try:
            found = client.search_recipients(siret=siret or None, text=text or None)
        except TransportError as error:
            raise UserError(_("The Chorus Pro directory could not be read: %s", error)) from None
        Partner = self.env["res.partner"]
        self.line_ids = [Command.clear()] + [
            Command.create(
                {
                    "structure_id": item["structure_id"] or 0,
                    "siret": item["siret"],
                    "name": item["name"],
                    "postal_code": item["postal_code"],
                    "town": item["town"],
                    "debtor_type": _guess_debtor_type(item["siret"]),
                    "existing_partner_id": Partner.search(
                        [("siret", "=", item["siret"]), ("is_company", "=", True)], limit=1
                    ).id,
                }
            )
            for item in found
        ]
        self.searched = True
        return self._reopen()


class ChorusDirectorySearchLine(models.TransientModel):
    _name = "chorus.directory.search.line"
    _description = "Structure found in the Chorus Pro directory"

    wizard_id = fields.Many2one("chorus.directory.search", required=True, ondelete="cascade")
    structure_id = fields.Integer(string="Structure id")
    siret = fields.Char(string="SIRET")
    name = fields.Char()
    postal_code = fields.Char(string="Postal code")
    town = fields.Char()
    debtor_type = fields.Selection(DEBTOR_TYPES, string="Debtor type", required=True)
    existing_partner_id = fields.Many2one("res.partner", string="Already a customer")

    def _partner_values(self):
        self.ensure_one()
        return {
            "siret": self.siret,
            "zip": self.postal_code or False,
            "city": self.town or False,
            "chorus_debtor_type": self.debtor_type,
            "chorus_einvoicing": True,
        }

    def action_choose(self):
        """Complete the customer the search was started from, open the one that already
        has this SIRET, or create it; then read its flags and services."""
        self.ensure_one()
        partner = self.wizard_id.partner_id
        if partner:
            partner.write(self._partner_values())
        elif self.existing_partner_id:
            partner = self.existing_partner_id
        else:
            installed = dict(self.env["res.lang"].get_installed())
            partner = self.env["res.partner"].create(
                {
                    "name": self.name,
                    "is_company": True,
                    "country_id": self.env.ref("base.fr").id,
                    # A French public body: its invoices are printed in French.
                    "lang": "fr_FR" if "fr_FR" in installed else self.env.lang,
                    **self._partner_values(),
                }
            )
        partner.action_chorus_check_directory()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": partner.id,
            "view_mode": "form",
            "target": "current",
        }
