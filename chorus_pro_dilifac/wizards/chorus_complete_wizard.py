import os

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..lib.errors import TransportError

# Chorus Pro's rules for an attachment (chorus-pro.md §3.2).
ATTACHMENT_NAME_MAX = 50
ATTACHMENT_MAX_BYTES = 10_000_000
ATTACHMENT_EXTENSIONS = frozenset(
    """BMP GIF FAX ODT PPT TIFF XLS BZ2 GZ JPEG P7S RTF TXT XML CSV GZIP JPG PDF SVG XHTML
    XLSX DOC HTM ODP PNG TGZ XLC ZIP DOCX HTML ODS PPS TIF XLM PPTX""".split()
)


class ChorusCompleteWizard(models.TransientModel):
    """Answer an invoice the buyer suspended (SUSPENDUE): send the missing documents and
    a comment; Chorus Pro then hands it back to the buyer."""

    _name = "chorus.complete.wizard"
    _inherit = ["chorus.corrective.action"]
    _description = "Complete a suspended Chorus Pro invoice"

    attachment_ids = fields.Many2many("ir.attachment", string="Documents")
    comment = fields.Text()

    def _portal_step_list(self):
        return [
            self._html(
                _(
                    "Choose the action 'Compléter', attach the missing documents and type your "
                    "comment (what the buyer asked: %(reason)s)."
                ),
                reason=self._bold((self.buyer_reason or "").rstrip(" .") or _("no reason given")),
            ),
            self._html(_("Confirm on the portal, then click 'Completed on the portal' here.")),
        ]

    def _attachment_errors(self):
        errors = []
        for attachment in self.attachment_ids:
            extension = os.path.splitext(attachment.name)[1].lstrip(".").upper()
            if len(attachment.name) > ATTACHMENT_NAME_MAX:
                errors.append(
                    _(
                        "%(file)s: the name may have %(max)s characters at most, extension "
                        "included.",
                        file=attachment.name,
                        max=ATTACHMENT_NAME_MAX,
                    )
                )
            if extension not in ATTACHMENT_EXTENSIONS:
                errors.append(
                    _("%(file)s: Chorus Pro does not accept this type of file (.%(ext)s).",
                      file=attachment.name, ext=extension.lower() or "?")
                )
            if attachment.file_size > ATTACHMENT_MAX_BYTES:
                errors.append(
                    _("%(file)s: the file weighs more than 10 MB.", file=attachment.name)
                )
        return errors

    def action_complete(self):
        self.ensure_one()
        move = self.move_id
        if move.chorus_state != "suspended":
            raise UserError(_("%s is not suspended.", move.name))
        if not self.api_available:
            raise UserError(
                _(
                    "%s: complete it on the Chorus Pro portal, then confirm here: this company "
                    "has no Chorus Pro API access for it.",
                    move.name,
                )
            )
        if not self.attachment_ids and not (self.comment or "").strip():
            raise UserError(_("Add the missing documents or a comment."))
        errors = self._attachment_errors()
        if errors:
            raise UserError("\n".join(errors))
        try:
            client = move.company_id._chorus_api_client()
            file_ids = [
                client.add_file(
                    attachment.name,
                    attachment.raw,
                    attachment.mimetype or "application/octet-stream",
                    os.path.splitext(attachment.name)[1],
                )
                for attachment in self.attachment_ids
            ]
            client.complete(int(move.chorus_invoice_id), self.comment or "", file_ids)
        except TransportError as error:
            raise UserError(_("Chorus Pro refused the completion: %s", error)) from None
        # Kept on the invoice: what was sent belongs to its file.
        self.attachment_ids.write({"res_model": "account.move", "res_id": move.id})
        names = ", ".join(self.attachment_ids.mapped("name"))
        comment = "\n".join(part for part in (self.comment, names) if part)
        move._chorus_apply_event(
            "odoo", "COMPLETED", _("Completed with documents"), comment=comment,
            state="integrated",
        )
        move._chorus_close_alert(_("Completed: %s", comment))
        return {"type": "ir.actions.act_window_close"}

    def action_confirm_portal(self):
        """The user completed the invoice on the portal: record it, nothing is sent."""
        self.ensure_one()
        move = self.move_id
        if move.chorus_state != "suspended":
            raise UserError(_("%s is not suspended.", move.name))
        self.attachment_ids.write({"res_model": "account.move", "res_id": move.id})
        names = ", ".join(self.attachment_ids.mapped("name"))
        comment = "\n".join(part for part in (self.comment, names) if part)
        self._chorus_record_portal_action(
            "COMPLETED", _("Completed on the Chorus Pro portal"), comment, state="integrated"
        )
        move._chorus_close_alert(_("Completed on the portal: %s", comment or "-"))
        return {"type": "ir.actions.act_window_close"}
