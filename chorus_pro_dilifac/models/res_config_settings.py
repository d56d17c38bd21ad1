from odoo import _, fields, models

SECRET = "base.group_system"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    chorus_transport = fields.Selection(related="company_id.chorus_transport", readonly=False)
    chorus_environment = fields.Selection(related="company_id.chorus_environment", readonly=False)
    chorus_syntax = fields.Selection(related="company_id.chorus_syntax", readonly=False)
    chorus_siret_scheme = fields.Selection(related="company_id.chorus_siret_scheme", readonly=False)
    chorus_facturx_siret_scheme = fields.Selection(
        related="company_id.chorus_facturx_siret_scheme", readonly=False
    )
    chorus_note_pmt = fields.Text(related="company_id.chorus_note_pmt", readonly=False)
    chorus_note_pmd = fields.Text(related="company_id.chorus_note_pmd", readonly=False)
    chorus_note_aab = fields.Text(related="company_id.chorus_note_aab", readonly=False)
    chorus_company_siret = fields.Char(related="company_id.siret", readonly=False)
    chorus_dilifac_gln = fields.Char(related="company_id.chorus_dilifac_gln", readonly=False)
    chorus_dilifac_reseller_id = fields.Char(
        related="company_id.chorus_dilifac_reseller_id", readonly=False
    )
    chorus_bank_account_id = fields.Many2one(
        related="company_id.chorus_bank_account_id", readonly=False
    )
    chorus_dilifac_followup_url = fields.Char(
        related="company_id.chorus_dilifac_followup_url", readonly=False
    )
    chorus_portal_file_limit = fields.Float(
        related="company_id.chorus_portal_file_limit", readonly=False
    )
    chorus_tech_password_expiry = fields.Date(
        related="company_id.chorus_tech_password_expiry", readonly=False
    )
    chorus_piste_client_id = fields.Char(
        related="company_id.chorus_piste_client_id", readonly=False, groups=SECRET
    )
    chorus_piste_client_secret = fields.Char(
        related="company_id.chorus_piste_client_secret", readonly=False, groups=SECRET
    )
    chorus_tech_login = fields.Char(
        related="company_id.chorus_tech_login", readonly=False, groups=SECRET
    )
    chorus_tech_password = fields.Char(
        related="company_id.chorus_tech_password", readonly=False, groups=SECRET
    )
    chorus_api_oauth_url = fields.Char(
        related="company_id.chorus_api_oauth_url", readonly=False, groups=SECRET
    )
    chorus_api_base_url = fields.Char(
        related="company_id.chorus_api_base_url", readonly=False, groups=SECRET
    )
    chorus_sftp_host = fields.Char(
        related="company_id.chorus_sftp_host", readonly=False, groups=SECRET
    )
    chorus_sftp_port = fields.Integer(
        related="company_id.chorus_sftp_port", readonly=False, groups=SECRET
    )
    chorus_sftp_user = fields.Char(
        related="company_id.chorus_sftp_user", readonly=False, groups=SECRET
    )
    chorus_sftp_password = fields.Char(
        related="company_id.chorus_sftp_password", readonly=False, groups=SECRET
    )
    chorus_sftp_private_key = fields.Text(
        related="company_id.chorus_sftp_private_key", readonly=False, groups=SECRET
    )
    chorus_sftp_host_fingerprint = fields.Char(
        related="company_id.chorus_sftp_host_fingerprint", readonly=False, groups=SECRET
    )
    chorus_sftp_legacy_algorithms = fields.Boolean(
        related="company_id.chorus_sftp_legacy_algorithms", readonly=False, groups=SECRET
    )
    chorus_sftp_upload_dir = fields.Char(
        related="company_id.chorus_sftp_upload_dir", readonly=False, groups=SECRET
    )
    chorus_sftp_outbox_dir = fields.Char(
        related="company_id.chorus_sftp_outbox_dir", readonly=False, groups=SECRET
    )
    chorus_dilifac_filename_template = fields.Char(
        related="company_id.chorus_dilifac_filename_template", readonly=False
    )
    chorus_dilifac_notification_pattern = fields.Char(
        related="company_id.chorus_dilifac_notification_pattern", readonly=False
    )
    chorus_dilifac_notification_max_mb = fields.Integer(
        related="company_id.chorus_dilifac_notification_max_mb", readonly=False
    )
    chorus_sftp_archive_dir = fields.Char(
        related="company_id.chorus_sftp_archive_dir", readonly=False, groups=SECRET
    )

    def _chorus_notify(self, title, message, kind="success", sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": sticky},
        }

    def action_chorus_test_connection(self):
        self.execute()  # test what is on screen
        return self._chorus_notify(_("Chorus Pro"), self.company_id._chorus_test_connection())

    def action_chorus_fetch_host_key(self):
        self.execute()
        fingerprint = self.company_id._chorus_fetch_host_key()
        return self._chorus_notify(
            _("Dilifac host key"),
            _(
                "The server presents %(fingerprint)s. Compare it with the fingerprint Dilicom "
                "gave you before copying it into 'Pinned host key'.",
                fingerprint=fingerprint,
            ),
            kind="warning",
            sticky=True,
        )
