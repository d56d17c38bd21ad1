import datetime
import logging

import psycopg2
from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from stdnum.fr import siret as stdnum_siret

from ..lib.codes import (
    DEBTOR_TYPES,
    GLN_LOCAL_AUTHORITY,
    GLN_STATE,
    SIRET_STATE,
    is_valid_gln,
    recipient_gln,
)
from ..lib.errors import TransportError

_logger = logging.getLogger(__name__)
# One run of the directory refresh reads this many structures, the changed ones first.
CRON_BATCH = 200
# A structure checked less than a week ago is not read again by the weekly refresh.
STALE_AFTER = datetime.timedelta(days=6)


class ResPartner(models.Model):
    _inherit = "res.partner"

    invoice_sending_method = fields.Selection(
        selection_add=[("chorus_pro", "by Chorus Pro")],
        ondelete={"chorus_pro": "set null"},
    )
    chorus_einvoicing = fields.Boolean(
        string="Send invoices electronically",
        compute="_compute_chorus_einvoicing",
        inverse="_inverse_chorus_einvoicing",
        help="Invoices to this public buyer go through Chorus Pro: new invoices are "
        "marked 'to transmit'.",
    )
    chorus_debtor_type = fields.Selection(
        DEBTOR_TYPES,
        string="Debtor type",
        help="Decides the recipient GLN Dilifac routes on: State administrations and "
        "local authorities each have one fixed GLN.",
    )
    chorus_gln = fields.Char(
        string="GLN",
        compute="_compute_chorus_gln",
        store=True,
        readonly=False,
        precompute=True,
        help="13-digit recipient GLN. Fixed for the State and local authorities.",
    )
    chorus_service_id = fields.Many2one(
        "chorus.pro.service",
        string="Chorus Pro service",
        domain="[('partner_id', '=', commercial_partner_id), ('is_active', '=', True)]",
        help="The service of the public structure this contact belongs to, from the "
        "directory. Its code goes on invoices sent to this contact.",
    )
    chorus_service_code = fields.Char(
        string="Default service code",
        help="Service code (code service exécutant) put on this customer's invoices. "
        "On an invoicing contact, the service this contact belongs to.",
    )
    # Directory data, as the Chorus Pro directory last said (or as typed by hand).
    chorus_structure_id = fields.Integer(string="Chorus Pro structure id", copy=False)
    chorus_structure_active = fields.Boolean(
        string="Active in Chorus Pro",
        copy=False,
        help="An inactive structure refuses every invoice.",
    )
    chorus_service_required = fields.Boolean(
        string="Service code required",
        copy=False,
        help="Chorus Pro refuses an invoice to this structure without a service code.",
    )
    chorus_engagement_required = fields.Boolean(
        string="Engagement number required",
        copy=False,
        help="Chorus Pro refuses an invoice to this structure without an engagement "
        "number (numéro d'engagement juridique).",
    )
    chorus_service_or_engagement = fields.Boolean(
        string="Service code or engagement number required",
        copy=False,
        help="Chorus Pro needs at least one of the two: a service code or an engagement number.",
    )
    chorus_directory_checked_on = fields.Datetime(
        string="Last checked in the directory", copy=False, readonly=True
    )
    chorus_service_ids = fields.One2many(
        "chorus.pro.service", "partner_id", string="Chorus Pro services", copy=False
    )
    chorus_directory_pending = fields.Boolean(
        string="Directory check pending",
        copy=False,
        readonly=True,
        help="The SIRET changed: the scheduled action checks it in the directory shortly.",
    )
    chorus_directory_message = fields.Char(
        string="Last directory check problem", copy=False, readonly=True
    )
    chorus_directory_available = fields.Boolean(
        string="Directory available", compute="_compute_chorus_directory_available"
    )

    @api.depends_context("company")
    @api.depends("invoice_sending_method")
    def _compute_chorus_einvoicing(self):
        for partner in self:
            partner.chorus_einvoicing = partner.invoice_sending_method == "chorus_pro"

    def _inverse_chorus_einvoicing(self):
        for partner in self:
            if partner.chorus_einvoicing:
                partner.invoice_sending_method = "chorus_pro"
            elif partner.invoice_sending_method == "chorus_pro":
                partner.invoice_sending_method = False

    @api.depends_context("company")
    def _compute_chorus_directory_available(self):
        self.chorus_directory_available = self.env.company.chorus_directory_available

    @api.depends("chorus_debtor_type")
    def _compute_chorus_gln(self):
        for partner in self:
            fixed = recipient_gln(partner.chorus_debtor_type)
            if fixed:
                partner.chorus_gln = fixed
            elif partner.chorus_gln in (GLN_STATE, GLN_LOCAL_AUTHORITY):
                # The fixed GLN of a former debtor type is not the structure's own.
                partner.chorus_gln = False

    @api.onchange("chorus_debtor_type")
    def _onchange_chorus_debtor_type_siret(self):
        if self.chorus_debtor_type == "state":
            self.siret = SIRET_STATE
        elif self.siret == SIRET_STATE:
            self.siret = False

    @api.onchange("siret")
    def _onchange_siret_clear_directory(self):
        """Directory data belongs to one SIRET: a new SIRET must be checked again."""
        if self._origin.siret and self.siret != self._origin.siret:
            self.update(self._chorus_directory_reset_values())

    def _chorus_directory_reset_values(self):
        return {
            "chorus_structure_id": 0,
            "chorus_structure_active": False,
            "chorus_service_required": False,
            "chorus_engagement_required": False,
            "chorus_service_or_engagement": False,
            "chorus_directory_checked_on": False,
            "chorus_directory_message": False,
            "chorus_service_ids": [fields.Command.clear()],
        }

    @api.model
    def _chorus_normalize_vals(self, vals, debtor_type=None):
        """SIRETs are stored compact (spaces stripped) so documents and directory
        look-ups agree; a State administration always has the State's SIRET."""
        if (vals.get("chorus_debtor_type") or debtor_type) == "state":
            vals["siret"] = SIRET_STATE
        elif vals.get("siret"):
            vals["siret"] = stdnum_siret.compact(vals["siret"])
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._chorus_normalize_vals(vals)
        partners = super().create(vals_list)
        partners.filtered(
            lambda p: p.siret and p.chorus_debtor_type and not p.chorus_directory_checked_on
        )._chorus_mark_for_check()
        return partners

    def write(self, vals):
        if "siret" in vals or "chorus_debtor_type" in vals:
            if "chorus_debtor_type" not in vals and len(set(self.mapped("chorus_debtor_type"))) > 1:
                return all(partner.write(vals) for partner in self)
            vals = self._chorus_normalize_vals(dict(vals), self[:1].chorus_debtor_type)
        changed = self.browse()
        if "siret" in vals and not any(key.startswith("chorus_structure") for key in vals):
            changed = self.filtered(lambda p: (p.siret or False) != (vals["siret"] or False))
            if changed:
                super(ResPartner, changed).write(changed._chorus_directory_reset_values())
        result = super().write(vals)
        changed.filtered(lambda p: p.siret and p.chorus_debtor_type)._chorus_mark_for_check()
        return result

    def _chorus_mark_for_check(self):
        """A new SIRET is checked in the directory by the scheduled action, started now:
        no network call inside the user's transaction."""
        if not self:
            return
        # The parent's write: this one would check the SIRET again.
        super().write({"chorus_directory_pending": True})
        cron = self.env.ref(
            "chorus_pro_dilifac.ir_cron_chorus_refresh_directory", raise_if_not_found=False
        )
        if cron:
            cron.sudo()._trigger()

    def _chorus_refresh_each(self, client):
        """Refresh each partner from the directory; a failure is logged and shown on the
        customer's tab, never raised."""
        for partner in self:
            try:
                with self.env.cr.savepoint():
                    partner._chorus_refresh_from_directory(client)
            except (TransportError, UserError) as error:
                _logger.warning(
                    "Chorus Pro directory refresh of %s failed: %s", partner.display_name, error
                )
                partner.write(
                    {"chorus_directory_pending": False, "chorus_directory_message": str(error)}
                )
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                # Changed meanwhile by another process (an invoice being sent to it): the
                # oldest-checked partners come first again next run.
                _logger.info("%s changed in another transaction: refreshed next run", partner)

    @api.constrains("siret")
    def _check_chorus_siret(self):
        for partner in self:
            if partner.siret and not stdnum_siret.is_valid(partner.siret):
                raise ValidationError(
                    _(
                        "%(partner)s: the SIRET %(siret)s is not valid (14 digits with a "
                        "valid check key are expected).",
                        partner=partner.display_name,
                        siret=partner.siret,
                    )
                )

    @api.constrains("chorus_gln")
    def _check_chorus_gln(self):
        for partner in self:
            if partner.chorus_gln and not is_valid_gln(partner.chorus_gln):
                raise ValidationError(
                    _(
                        "%(partner)s: the GLN %(gln)s is not valid (13 digits with a GS1 "
                        "check digit are expected).",
                        partner=partner.display_name,
                        gln=partner.chorus_gln,
                    )
                )

    def _chorus_effective_service_code(self):
        """The service code an invoice to this contact should carry: the contact's
        service (from the directory, or typed), else its company's default."""
        self.ensure_one()
        return (
            self.chorus_service_id.code
            or self.chorus_service_code
            or self.commercial_partner_id.chorus_service_code
        )

    # -- Chorus Pro directory ------------------------------------------------------------

    def action_chorus_check_directory(self):
        """Button: fill the structure id, its flags and its services from Chorus Pro,
        whatever the transport (the API credentials may be for look-ups only)."""
        client = self.env.company._chorus_directory_client()
        for partner in self:
            try:
                partner._chorus_refresh_from_directory(client)
            except TransportError as error:
                raise UserError(
                    _(
                        "%(partner)s: the Chorus Pro directory could not be read: %(error)s",
                        partner=partner.display_name,
                        error=error,
                    )
                ) from None
        return True

    def _chorus_refresh_from_directory(self, client):
        self.ensure_one()
        if not self.siret:
            raise UserError(_("%s: set the SIRET first (field 'SIRET').", self.display_name))
        found = client.lookup_structure(self.siret)
        if not found:
            raise UserError(
                _(
                    "%(partner)s: no structure with SIRET %(siret)s in the Chorus Pro directory.",
                    partner=self.display_name,
                    siret=self.siret,
                )
            )
        known = {service.code: service for service in self.chorus_service_ids}
        commands = []
        for service in found["services"]:
            vals = {
                "code": service["code"],
                "name": service["name"],
                "is_active": service["active"],
                "engagement_required": service["engagement_required"],
                "chorus_service_id": service["id"] or 0,
            }
            if service["code"] in known:
                commands.append(Command.update(known.pop(service["code"]).id, vals))
            else:
                commands.append(Command.create(vals))
        commands += [Command.delete(service.id) for service in known.values()]
        self.write(
            {
                "chorus_structure_id": found["structure_id"],
                "chorus_structure_active": found["active"],
                "chorus_service_required": found["service_required"],
                "chorus_engagement_required": found["engagement_required"],
                "chorus_service_or_engagement": found["service_or_engagement"],
                "chorus_directory_checked_on": fields.Datetime.now(),
                "chorus_directory_pending": False,
                "chorus_directory_message": False,
                "chorus_service_ids": commands,
            }
        )

    @api.model
    def _cron_chorus_refresh_directory(self):
        """Weekly, and at once after a SIRET change: the changed customers first, then
        those not checked for a week. Any company with directory credentials reads it
        (the directory is public, the same for all)."""
        company = self.env["res.company"].search([]).filtered("chorus_directory_available")[:1]
        if not company:
            return
        client = company._chorus_directory_client()
        base = [("chorus_debtor_type", "!=", False), ("siret", "!=", False)]
        pending = self.search(base + [("chorus_directory_pending", "=", True)], limit=CRON_BATCH)
        stale = self.search(
            base
            + [
                ("is_company", "=", True),
                ("chorus_directory_pending", "=", False),
                "|",
                ("chorus_directory_checked_on", "=", False),
                ("chorus_directory_checked_on", "<", fields.Datetime.now() - STALE_AFTER),
            ],
            order="chorus_directory_checked_on asc nulls first, id",
            limit=max(CRON_BATCH - len(pending), 0),
        )
        for partner in pending | stale:
            partner._chorus_refresh_each(client)
            if self.env["account.move.send"]._can_commit():
                self.env.cr.commit()  # pylint: disable=invalid-commit
        remaining = self.search_count(base + [("chorus_directory_pending", "=", True)])
        self.env["ir.cron"]._notify_progress(done=len(pending | stale), remaining=remaining)
