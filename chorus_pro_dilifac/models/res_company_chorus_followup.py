import datetime

from odoo import fields, models
from odoo.tools import format_date

PASSWORD_REMINDER_DAYS = 15


class ResCompany(models.Model):
    _inherit = "res.company"

    chorus_password_reminded_for = fields.Date(
        copy=False,
        readonly=True,
        help="The technical password expiry date a reminder was already created for: a new "
        "date (after the password was renewed) gets its own reminder.",
    )

    def _chorus_first_user(self, group_xmlid):
        """The oldest internal user of the company in the group (the default assignee)."""
        self.ensure_one()
        group = self.env.ref(group_xmlid)
        return self.env["res.users"].search(
            [("groups_id", "in", group.id), ("company_ids", "in", self.id), ("share", "=", False)],
            order="id",
            limit=1,
        )

    def _chorus_remind_password_expiry(self):
        """One To-Do on the company, 15 days before the Chorus Pro technical password expires
        (Chorus Pro then refuses every call until it is renewed on the portal)."""
        today = fields.Date.context_today(self)
        for company in self:
            expiry = company.chorus_tech_password_expiry
            if (
                company.chorus_transport != "api"
                or not expiry
                or company.chorus_password_reminded_for == expiry
                or today < expiry - datetime.timedelta(days=PASSWORD_REMINDER_DAYS)
            ):
                continue
            user = company._chorus_first_user("base.group_system") or company._chorus_first_user(
                "account.group_account_manager"
            )
            # Written in the language of the person who will read it, not the cron's.
            env = company.with_context(lang=user.lang or self.env.lang, tz=user.tz).env
            company.partner_id.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=expiry - datetime.timedelta(days=1),
                summary=env._(
                    "Chorus Pro: the technical password expires on %s",
                    format_date(env, expiry),
                ),
                note=env._(
                    "Renew the password of the Chorus Pro technical account on the Chorus Pro "
                    "portal, then type the new password and its expiry date in the Accounting "
                    "settings of %s. Until then every call to Chorus Pro will be refused.",
                    company.name,
                ),
                user_id=user.id,
            )
            company.chorus_password_reminded_for = expiry
