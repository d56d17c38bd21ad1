from odoo import api, fields, models


class ChorusProService(models.Model):
    """A service (code service exécutant) of a public structure, as the Chorus Pro
    directory lists it. Filled by the directory check, or typed in by hand when the
    company has no API access (Dilifac users)."""

    _name = "chorus.pro.service"
    _description = "Chorus Pro service of a public structure"
    _order = "partner_id, code"
    _rec_names_search = ["code", "name"]

    partner_id = fields.Many2one(
        "res.partner", string="Structure", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True)
    code = fields.Char(string="Service code", required=True)
    name = fields.Char(string="Service name")
    is_active = fields.Boolean(string="Active in Chorus Pro", default=True)
    engagement_required = fields.Boolean(
        string="Engagement number required",
        help="Chorus Pro refuses an invoice for this service without an engagement number.",
    )
    chorus_service_id = fields.Integer(string="Chorus Pro service id", readonly=True)

    _sql_constraints = [
        (
            "code_partner_unique",
            "unique(partner_id, code)",
            "A service code appears only once per structure.",
        ),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for service in self:
            service.display_name = (
                f"{service.code} - {service.name}" if service.name else service.code
            )
