"""Parser for Dilifac notification files (assumed format, dilifac.md "Notifications").

A file is UTF-8, ``;``-separated::

    H;NOTIF;<YYYYMMDD>
    D;<source>;<invoice number>;<dilifac id>;<chorus invoice id>;<status>;
      <YYYY-MM-DD HH:MM>;<error code>;<message>        (one line)

The message is the last field, so a ``;`` inside it is kept: every field after the
eighth is joined back. A bad header refuses the whole file (:class:`NotificationParseError`);
a bad detail line (wrong shape, not UTF-8, a control character such as NUL that no
database text field accepts) is refused with its number and the other lines are kept:
one corrupt line never holds back the notifications around it.

The file is read as a stream, a line at a time, and refused once it passes ``limit``
bytes (:class:`NotificationFileTooLarge`), so its size never decides the memory used.

Dates are naive, in Dilifac's local time (assumed Europe/Paris); converting them is the
ORM's business.
"""
import datetime
import hashlib
import io
import re
from dataclasses import dataclass, field

SOURCE_DILIFAC = "DILIFAC"
SOURCE_CHORUS = "CHORUS"
SOURCES = (SOURCE_DILIFAC, SOURCE_CHORUS)

DILIFAC_RECEIVED = "RECU"
DILIFAC_REJECTED = "REJETE"
DILIFAC_FORWARDED = "TRANSMIS"
DILIFAC_STATUS_LABELS = {
    DILIFAC_RECEIVED: "Reçue par Dilifac",
    DILIFAC_REJECTED: "Rejetée par Dilifac (contrôle technique)",
    DILIFAC_FORWARDED: "Transmise à Chorus Pro",
}

HEADER_TAG = "H"
DETAIL_TAG = "D"
FILE_TYPE = "NOTIF"
DETAIL_FIELD_COUNT = 9
DATE_FORMAT = "%Y-%m-%d %H:%M"
HEADER_DATE_FORMAT = "%Y%m%d"

# Chorus statuses are passed through untouched (labels live in chorus_status.py); only
# their shape is checked so that a shifted column is caught instead of stored.
_STATUS_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
# C0 controls but the tab, DEL and C1 controls: never in a notification, never stored.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# A line longer than this is refused without being held in memory whole.
MAX_LINE_BYTES = 64 * 1024


class NotificationParseError(ValueError):
    """A line (``line_number``, 1-based) or the whole file (None) cannot be applied."""

    def __init__(self, message, line_number=None):
        where = f"line {line_number}: " if line_number else ""
        super().__init__(f"{where}{message}")
        self.line_number = line_number


class NotificationFileTooLarge(NotificationParseError):
    """The file passed the size limit: it is not read further."""


class ParsedNotifications(list):
    """The events of a file, in file order, plus ``errors``: the refused lines."""

    def __init__(self, events=(), errors=()):
        super().__init__(events)
        self.errors = list(errors)


@dataclass(frozen=True)
class NotificationEvent:
    """One notification line.

    ``event_key`` hashes the line's fields (not its file or position), so the same event
    read again, from a re-downloaded or an archived-and-renamed file, has the same key:
    the ORM stores it and ignores an event it already applied.
    """

    source: str
    invoice_number: str
    dilifac_id: str | None
    chorus_invoice_id: str | None
    status: str
    date: datetime.datetime
    error_code: str | None
    message: str | None
    event_key: str = field(init=False)

    def __post_init__(self):
        canonical = "\x1f".join(
            (
                self.source,
                self.invoice_number,
                self.dilifac_id or "",
                self.chorus_invoice_id or "",
                self.status,
                self.date.strftime(DATE_FORMAT),
                self.error_code or "",
                self.message or "",
            )
        )
        object.__setattr__(
            self, "event_key", hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        )

    @property
    def is_error(self):
        return bool(self.error_code)


def parse_notification_file(content):
    """Parse a notification file given as bytes (see :func:`read_notification_file`)."""
    return read_notification_file(io.BytesIO(content))


def _lines(stream, limit):
    """Yield ``(number, text)`` for each line of ``stream``, ``text`` being a
    :class:`NotificationParseError` for a line too long or not UTF-8. Reads a line at a time,
    so memory stays bounded; raises :class:`NotificationFileTooLarge` past ``limit`` bytes."""
    number = size = 0

    def count(raw):
        nonlocal size
        size += len(raw)
        if limit and size > limit:
            raise NotificationFileTooLarge(f"larger than the limit of {limit} bytes")

    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        count(raw)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                raw = stream.readline(MAX_LINE_BYTES + 1)
                count(raw)
            yield number, NotificationParseError(f"longer than {MAX_LINE_BYTES} bytes", number)
            continue
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 ({exc.reason} at byte {exc.start})"
            yield number, NotificationParseError(reason, number)


def read_notification_file(stream, limit=None):
    """Read a notification file from a binary ``stream``, a line at a time.

    Returns :class:`ParsedNotifications` (the events, and ``errors`` for the refused
    lines). Raises :class:`NotificationParseError` when the header is wrong or the file
    is empty, :class:`NotificationFileTooLarge` past ``limit`` bytes.
    """
    events, errors, header_seen = [], [], False
    for number, line in _lines(stream, limit):
        try:
            if isinstance(line, NotificationParseError):
                raise line
            if not header_seen:
                line = line.removeprefix("\ufeff")
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if _CONTROL_RE.search(line):
                raise NotificationParseError(
                    "a control character (such as NUL) in the line", number
                )
            if not header_seen:
                _parse_header(number, line)
                header_seen = True
                continue
            events.append(_parse_detail(number, line))
        except NotificationParseError as error:
            if not header_seen:
                raise
            errors.append(error)
    if not header_seen:
        raise NotificationParseError("empty file")
    return ParsedNotifications(events, errors)


def _parse_header(number, line):
    fields = line.strip().split(";")
    if len(fields) != 3 or fields[0] != HEADER_TAG or fields[1] != FILE_TYPE:
        raise NotificationParseError(
            f"expected the header 'H;NOTIF;<YYYYMMDD>', got {line[:40]!r}", number
        )
    try:
        datetime.datetime.strptime(fields[2], HEADER_DATE_FORMAT)
    except ValueError:
        raise NotificationParseError(f"bad header date {fields[2]!r}", number) from None


def _parse_detail(number, line):
    fields = line.rstrip("\r\n").split(";")
    if fields[0].strip() != DETAIL_TAG:
        raise NotificationParseError(f"line type {fields[0][:10]!r}, 'D' expected", number)
    if len(fields) < DETAIL_FIELD_COUNT:
        raise NotificationParseError(
            f"{len(fields)} fields, {DETAIL_FIELD_COUNT} expected", number
        )
    _tag, source, invoice_number, dilifac_id, chorus_id, status, date, error_code = (
        f.strip() for f in fields[: DETAIL_FIELD_COUNT - 1]
    )
    message = ";".join(fields[DETAIL_FIELD_COUNT - 1 :]).strip()
    if source not in SOURCES:
        raise NotificationParseError(f"unknown source {source!r}", number)
    if not invoice_number:
        raise NotificationParseError("empty invoice number", number)
    if not _STATUS_RE.match(status):
        raise NotificationParseError(f"bad status {status!r}", number)
    if source == SOURCE_DILIFAC and status not in DILIFAC_STATUS_LABELS:
        raise NotificationParseError(f"unknown Dilifac status {status!r}", number)
    try:
        when = datetime.datetime.strptime(date, DATE_FORMAT)
    except ValueError:
        raise NotificationParseError(
            f"bad date {date!r}, 'YYYY-MM-DD HH:MM' expected", number
        ) from None
    return NotificationEvent(
        source=source,
        invoice_number=invoice_number,
        dilifac_id=dilifac_id or None,
        chorus_invoice_id=chorus_id or None,
        status=status,
        date=when,
        error_code=error_code or None,
        message=message or None,
    )
