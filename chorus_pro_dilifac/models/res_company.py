from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib.chorus_api import ChorusProClient
from ..lib.codes import (
    DEFAULT_NOTE_AAB,
    DEFAULT_NOTE_PMD,
    DEFAULT_NOTE_PMT,
    SYNTAX_UBL,
    SYNTAXES,
    is_valid_gln,
)
from ..lib.dilifac_naming import DEFAULT_TEMPLATE
from ..lib.dilifac_sftp import (
    DEFAULT_NOTIFICATION_PATTERN,
    DilifacSftpClient,
    fetch_host_key_fingerprint,
)
from ..lib.errors import TransportError
from ..lib.portal_file import PORTAL_UPLOAD_LIMIT

TRANSPORTS = [
    ("dilifac", "Dilifac (SFTP)"),
    ("api", "Chorus Pro API"),
    ("portal", "Portal file (manual upload)"),
]
# Credentials and connection settings: system administrators only (never accountants).
SECRET = "base.group_system"


class ResCompany(models.Model):
    _inherit = "res.company"

    chorus_transport = fields.Selection(TRANSPORTS, string="Chorus Pro transport")
    chorus_environment = fields.Selection(
        [("qualif", "Qualification"), ("prod", "Production")],
        string="Chorus Pro environment",
        default="qualif",
        required=True,
    )
    chorus_syntax = fields.Selection(
        SYNTAXES,
        string="Chorus Pro document format",
        default=SYNTAX_UBL,
        required=True,
        help="The document deposited on Chorus Pro or uploaded to Dilifac.",
    )
    chorus_siret_scheme = fields.Selection(
        [("1", "1 (Chorus Pro deposit)"), ("0009", "0009 (Peppol ICD)")],
        string="SIRET scheme",
        default="1",
        required=True,
        help="Scheme identifier written next to each SIRET in the UBL and CII deposits "
        "(E1). Chorus Pro's own deposit uses 1; Peppol uses 0009.",
    )
    chorus_facturx_siret_scheme = fields.Selection(
        [("0009", "0009 (ISO 6523, SIRET)"), ("1", "1 (Chorus Pro deposit)")],
        string="SIRET scheme in Factur-X",
        default="0009",
        required=True,
        help="Scheme identifier written next to each SIRET in a Factur-X PDF. The "
        "Factur-X rules that buyers' tools apply accept only ISO 6523 codes (0009).",
    )
    chorus_note_pmt = fields.Text(
        string="Recovery fee mention (PMT)",
        default=lambda self: DEFAULT_NOTE_PMT,
        help="The fixed 40 EUR recovery fee that French law requires on every invoice, "
        "written as a note with subject code PMT and printed on the PDF.",
    )
    chorus_note_pmd = fields.Text(
        string="Late-payment penalty mention (PMD)",
        default=lambda self: DEFAULT_NOTE_PMD,
        help="The late-payment penalty rate, written as a note with subject code PMD and "
        "printed on the PDF.",
    )
    chorus_note_aab = fields.Text(
        string="Early-payment discount mention (AAB)",
        default=lambda self: DEFAULT_NOTE_AAB,
        help="The early-payment discount, or that there is none, written as a note with "
        "subject code AAB and printed on the PDF.",
    )
    chorus_dilifac_gln = fields.Char(
        string="Dilifac GLN",
        help="The GLN Dilicom gave for Dilifac. It differs from the bookshop GLN used for orders.",
    )
    chorus_dilifac_reseller_id = fields.Char(string="Dilifac reseller id")
    chorus_bank_account_id = fields.Many2one(
        "res.partner.bank",
        string="Bank account for Chorus Pro",
        domain="[('partner_id', '=', partner_id)]",
        help="The IBAN/BIC public buyers pay to.",
    )
    chorus_dilifac_followup_url = fields.Char(
        string="Dilifac follow-up page", default="https://dilifac.dilicom.net"
    )
    chorus_tech_password_expiry = fields.Date(
        string="Technical password expiry",
        help="A reminder is raised 15 days before this date.",
    )

    # -- Chorus Pro API (PISTE) ------------------------------------------------
    chorus_piste_client_id = fields.Char(string="PISTE client id", groups=SECRET)
    chorus_piste_client_secret = fields.Char(string="PISTE client secret", groups=SECRET)
    chorus_tech_login = fields.Char(string="Chorus Pro technical login", groups=SECRET)
    chorus_tech_password = fields.Char(string="Chorus Pro technical password", groups=SECRET)
    chorus_api_oauth_url = fields.Char(
        string="Token URL", groups=SECRET, help="Leave empty for the official PISTE URL."
    )
    chorus_api_base_url = fields.Char(
        string="API URL", groups=SECRET, help="Leave empty for the official PISTE URL."
    )

    # -- Dilifac (SFTP) ------------------------------------------------------------
    chorus_sftp_host = fields.Char(string="SFTP host", groups=SECRET)
    chorus_sftp_port = fields.Integer(string="SFTP port", default=22, groups=SECRET)
    chorus_sftp_user = fields.Char(string="SFTP user", groups=SECRET)
    chorus_sftp_password = fields.Char(string="SFTP password", groups=SECRET)
    chorus_sftp_private_key = fields.Text(string="SFTP private key", groups=SECRET)
    chorus_sftp_host_fingerprint = fields.Char(
        string="Pinned host key",
        groups=SECRET,
        help="SHA256 fingerprint of the server's host key. Connections to any other key "
        "are refused.",
    )
    chorus_sftp_legacy_algorithms = fields.Boolean(
        string="Legacy SSH algorithms",
        groups=SECRET,
        help="Allow the old algorithms (diffie-hellman-group1-sha1, aes128-cbc, ssh-rsa) "
        "some Dilicom servers still require.",
    )
    chorus_sftp_upload_dir = fields.Char(string="Upload folder", default="I", groups=SECRET)
    chorus_sftp_outbox_dir = fields.Char(string="Notifications folder", default="O", groups=SECRET)
    chorus_sftp_archive_dir = fields.Char(string="Archive folder", default="ARC", groups=SECRET)
    # Assumed Dilifac conventions (docs/dilifac.md): settings, not facts.
    chorus_dilifac_filename_template = fields.Char(
        string="Dilifac file name",
        default=DEFAULT_TEMPLATE,
        required=True,
        help="Name of each uploaded invoice. Fields: {reseller_id}, {invoice_number}, "
        "{attempt}, {attempt_suffix} (empty for the first sending, _2, _3… for a resend).",
    )
    chorus_dilifac_notification_pattern = fields.Char(
        string="Dilifac notification files",
        default=DEFAULT_NOTIFICATION_PATTERN,
        required=True,
        help="Which files of the notifications folder are Dilifac notifications.",
    )
    chorus_dilifac_notification_max_mb = fields.Integer(
        string="Largest Dilifac notification file (MB)",
        default=10,
        help="A larger notification file is not read: it is set aside on the Dilifac server "
        "and reported on the company's chatter.",
    )
    chorus_dilifac_refusals = fields.Json(
        copy=False,
        groups="base.group_system",
        help="Notification files not applied yet, with the number of runs that tried: "
        "set aside after a few runs.",
    )

    chorus_portal_file_limit = fields.Float(
        string="Portal file size limit (MB)",
        default=PORTAL_UPLOAD_LIMIT / 1_000_000,
        digits=(6, 2),
        help="The Chorus Pro portal refuses an uploaded file above this size: the portal "
        "export splits its invoices into files under it.",
    )
    chorus_directory_available = fields.Boolean(
        string="Chorus Pro directory available",
        compute="_compute_chorus_directory_available",
        help="PISTE credentials and a Chorus Pro technical account are set: the directory "
        "can be read, whatever the transport (look-ups only for Dilifac or the portal).",
    )

    @api.depends(
        "chorus_piste_client_id",
        "chorus_piste_client_secret",
        "chorus_tech_login",
        "chorus_tech_password",
    )
    def _compute_chorus_directory_available(self):
        for company in self:
            secret = company.sudo()
            company.chorus_directory_available = bool(
                secret.chorus_piste_client_id
                and secret.chorus_piste_client_secret
                and secret.chorus_tech_login
                and secret.chorus_tech_password
            )

    @api.constrains("chorus_dilifac_gln")
    def _check_chorus_dilifac_gln(self):
        for company in self:
            if company.chorus_dilifac_gln and not is_valid_gln(company.chorus_dilifac_gln):
                raise ValidationError(
                    _(
                        "Company %(company)s: the Dilifac GLN %(gln)s is not a valid GLN "
                        "(13 digits with a GS1 check digit).",
                        company=company.name,
                        gln=company.chorus_dilifac_gln,
                    )
                )

    # -- the only places that turn settings into protocol clients ------------------------

    def _chorus_api_client(self):
        """The Chorus Pro API client of this company (credentials read as superuser)."""
        self.ensure_one()
        company = self.sudo()
        missing = [
            label
            for label, value in (
                (_("PISTE client id"), company.chorus_piste_client_id),
                (_("PISTE client secret"), company.chorus_piste_client_secret),
                (_("Chorus Pro technical login"), company.chorus_tech_login),
                (_("Chorus Pro technical password"), company.chorus_tech_password),
            )
            if not value
        ]
        if missing:
            raise UserError(
                _(
                    "Company %(company)s: the Chorus Pro API settings are incomplete (%(fields)s).",
                    company=self.name,
                    fields=", ".join(missing),
                )
            )
        return ChorusProClient(
            company.chorus_piste_client_id,
            company.chorus_piste_client_secret,
            company.chorus_tech_login,
            company.chorus_tech_password,
            environment=company.chorus_environment,
            oauth_url=company.chorus_api_oauth_url or None,
            api_url=company.chorus_api_base_url or None,
            timeout=self.env.context.get("chorus_api_timeout", 30),
        )

    def _chorus_directory_client(self):
        """The API client used for directory look-ups, whatever the transport."""
        self.ensure_one()
        if not self.chorus_directory_available:
            raise UserError(
                _(
                    "Company %(company)s: reading the Chorus Pro directory needs PISTE "
                    "credentials and a Chorus Pro technical account (Settings > Invoicing > "
                    "Chorus Pro > Chorus Pro API credentials). They can be given for look-ups "
                    "only, whatever the transport.",
                    company=self.name,
                )
            )
        return self._chorus_api_client()

    def _chorus_sftp_client(self):
        """The Dilifac SFTP client of this company (credentials read as superuser)."""
        self.ensure_one()
        company = self.sudo()
        if not (company.chorus_sftp_host and company.chorus_sftp_user):
            raise UserError(
                _(
                    "Company %(company)s: the Dilifac SFTP host and user are not set.",
                    company=self.name,
                )
            )
        if not company.chorus_sftp_host_fingerprint:
            raise UserError(
                _(
                    "Company %(company)s: no Dilifac host key is pinned. Use 'Fetch host key' "
                    "in the settings, check it with Dilicom, then save it.",
                    company=self.name,
                )
            )
        return DilifacSftpClient(
            company.chorus_sftp_host,
            company.chorus_sftp_port or 22,
            company.chorus_sftp_user,
            password=company.chorus_sftp_password or None,
            private_key=company.chorus_sftp_private_key or None,
            host_key_fingerprint=company.chorus_sftp_host_fingerprint,
            legacy_algorithms=company.chorus_sftp_legacy_algorithms,
            upload_dir=company.chorus_sftp_upload_dir or "I",
            outbox_dir=company.chorus_sftp_outbox_dir or "O",
            archive_dir=company.chorus_sftp_archive_dir or "ARC",
        )

    def _chorus_client(self):
        """The client of the configured transport (API or Dilifac)."""
        self.ensure_one()
        if self.chorus_transport == "api":
            return self._chorus_api_client()
        if self.chorus_transport == "dilifac":
            return self._chorus_sftp_client()
        raise UserError(
            _("Company %(company)s: choose the API or Dilifac transport first.", company=self.name)
        )

    def _chorus_test_connection(self):
        """Check the configured transport, and the directory credentials of a company
        that sends otherwise, answer; returns a message for the user."""
        self.ensure_one()
        messages = []
        try:
            if self.chorus_transport == "api":
                self._chorus_api_client().health_check()
                return _("Chorus Pro answered: the API credentials work.")
            if self.chorus_transport == "dilifac":
                with self._chorus_sftp_client() as client:
                    client.list_notifications()
                messages.append(_("Dilifac answered: the SFTP account and its host key work."))
            if self.chorus_directory_available:
                self._chorus_api_client().health_check()
                messages.append(_("Chorus Pro answered: the directory look-ups work."))
        except TransportError as error:
            raise UserError(_("Connection test failed: %s", error)) from None
        if not messages:
            raise UserError(
                _("Choose the API or Dilifac transport, or give API credentials, first.")
            )
        return "\n".join(messages)

    def _chorus_fetch_host_key(self):
        """The server's host key fingerprint, to be checked with Dilicom before pinning."""
        self.ensure_one()
        company = self.sudo()
        try:
            _key_type, fingerprint = fetch_host_key_fingerprint(
                company.chorus_sftp_host,
                company.chorus_sftp_port or 22,
                legacy_algorithms=company.chorus_sftp_legacy_algorithms,
            )
        except TransportError as error:
            raise UserError(_("Could not read the host key: %s", error)) from None
        return fingerprint
