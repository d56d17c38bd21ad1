"""Writer of Dilifac notification files, the sandbox's side of dilifac.md "Notifications".

The sandbox never imports the addon, so this is written apart from the addon's parser;
a test reads what this writes with that parser, so the two cannot drift apart.
"""
import datetime
from dataclasses import dataclass

DATE_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class NotificationLine:
    source: str
    invoice_number: str
    dilifac_id: str
    chorus_invoice_id: str | None
    status: str
    date: datetime.datetime
    error_code: str | None = None
    message: str | None = None

    def render(self):
        fields = [
            "D",
            self.source,
            self.invoice_number,
            self.dilifac_id or "",
            self.chorus_invoice_id or "",
            self.status,
            self.date.strftime(DATE_FORMAT),
            self.error_code or "",
        ]
        for value in fields:
            if ";" in value or "\n" in value or "\r" in value:
                raise ValueError(f"a notification field cannot hold ';' or a line break: {value!r}")
        # The message is the last field: it may hold ';', not a line break.
        message = " ".join((self.message or "").split())
        return ";".join([*fields, message])


def render_notification_file(date, lines):
    """The bytes of one notification file: header ``H;NOTIF;<YYYYMMDD>`` then one line each."""
    rows = [f"H;NOTIF;{date:%Y%m%d}", *(line.render() for line in lines)]
    return ("\n".join(rows) + "\n").encode("utf-8")
