from markupsafe import Markup, escape
from odoo import _, api, fields, models

CORRECTIVE_MODES = [
    ("api", "Through the Chorus Pro API"),
    ("portal", "By hand on the Chorus Pro portal"),
]


class ChorusCorrectiveAction(models.AbstractModel):
    """What the recycle, complete and rejection wizards share: the API does the action
    when the company has credentials and the invoice's Chorus Pro id is known; otherwise
    (Dilifac, portal file, no API access) the wizard says what to do on the portal and
    records the user's confirmation in the history. Nothing is ever deposited again
    under the same number: Chorus Pro would refuse it as a duplicate."""

    _name = "chorus.corrective.action"
    _description = "Chorus Pro corrective action"

    move_id = fields.Many2one("account.move", required=True, readonly=True, ondelete="cascade")
    transport = fields.Char(related="move_id.chorus_sent_transport")
    buyer_reason = fields.Text(related="move_id.chorus_error_message", string="Buyer's reason")
    portal_url = fields.Char(related="move_id.chorus_portal_url")
    api_available = fields.Boolean(compute="_compute_api_available")
    mode = fields.Selection(
        CORRECTIVE_MODES,
        string="How",
        compute="_compute_mode",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    portal_steps = fields.Html(compute="_compute_portal_steps", sanitize=False)

    @api.depends("move_id")
    def _compute_api_available(self):
        for wizard in self:
            move = wizard.move_id
            wizard.api_available = bool(
                move.chorus_invoice_id and move.company_id.chorus_directory_available
            )

    @api.depends("api_available")
    def _compute_mode(self):
        for wizard in self:
            # An invoice Dilifac deposited: whether the supplier's own API account may act on
            # it is not documented (docs/dilifac.md, "To confirm"): the portal comes first,
            # the API stays a choice.
            dilifac = wizard.move_id.chorus_sent_transport == "dilifac"
            wizard.mode = "api" if wizard.api_available and not dilifac else "portal"

    def _portal_step_list(self):
        """The steps on the portal after finding the invoice, each from ``_html``."""
        return []

    @staticmethod
    def _html(template, **params):
        """A translated sentence as HTML: its parameters are escaped unless Markup."""
        return Markup(escape(template)) % params

    @staticmethod
    def _bold(value):
        return Markup("<b>%s</b>") % (value or "-")

    @api.depends("move_id", "mode")
    def _compute_portal_steps(self):
        for wizard in self:
            move = wizard.move_id
            find = self._html(
                _(
                    "Open %(link)s, then the invoices you issued (Factures émises), and "
                    "search invoice %(number)s%(chorus_id)s."
                ),
                link=Markup('<a href="%s" target="_blank">%s</a>')
                % (move.chorus_portal_url or "", _("the Chorus Pro portal")),
                number=self._bold(move.name),
                chorus_id=_(" (Chorus Pro number %s)", move.chorus_invoice_id)
                if move.chorus_invoice_id
                else "",
            )
            steps = [find, *wizard._portal_step_list()]
            wizard.portal_steps = Markup("<ol>%s</ol>") % Markup("").join(
                Markup("<li>%s</li>") % step for step in steps
            )

    def _chorus_record_portal_action(self, code, label, comment, state=None):
        """The user says the action was done on the portal: one history line, the state
        follows (the next notification or status confirms it)."""
        self.ensure_one()
        self.move_id._chorus_apply_event(
            "odoo",
            code,
            label,
            comment="\n".join(
                part for part in (_("Done by hand on the Chorus Pro portal."), comment) if part
            ),
            state=state,
        )
