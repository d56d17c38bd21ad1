"""Notification file parser (addon) and writer (sandbox) agree; the parser is all or nothing."""
import dataclasses
import datetime

import pytest

from chorus_pro_dilifac.lib.dilifac_notifications import (
    DILIFAC_STATUS_LABELS,
    NotificationParseError,
    parse_notification_file,
)
from sandboxes.dilifac.notifications import NotificationLine, render_notification_file

GOOD = (
    "H;NOTIF;20250116\n"
    "D;DILIFAC;FA-2025/001;DLF20250115000001;;RECU;2025-01-15 15:02;;\n"
    "D;CHORUS;FA-2025/001;DLF20250115000001;4000001;MISE_A_DISPOSITION;2025-01-15 15:03;;\n"
    "D;CHORUS;FA-2025/002;DLF20250115000002;;REJETEE;2025-01-15 15:04;SERVICE_OBLIGATOIRE;"
    "Le code service est obligatoire; voir l'annuaire\n"
)


def test_parses_every_field():
    received, available, rejected = parse_notification_file(GOOD.encode())
    assert (received.source, received.invoice_number, received.status) == (
        "DILIFAC", "FA-2025/001", "RECU"
    )
    assert received.chorus_invoice_id is None and received.error_code is None
    assert received.message is None
    assert received.date == datetime.datetime(2025, 1, 15, 15, 2)
    assert available.chorus_invoice_id == "4000001"
    assert (rejected.error_code, rejected.chorus_invoice_id) == ("SERVICE_OBLIGATOIRE", None)
    assert rejected.message == "Le code service est obligatoire; voir l'annuaire"
    assert rejected.is_error and not available.is_error
    assert DILIFAC_STATUS_LABELS["RECU"] == "Reçue par Dilifac"


def test_tolerates_bom_crlf_and_blank_lines():
    content = ("\ufeff" + GOOD.replace("\n", "\r\n") + "\r\n\r\n").encode()
    assert parse_notification_file(content) == parse_notification_file(GOOD.encode())


def test_header_only_file_has_no_event():
    assert parse_notification_file(b"H;NOTIF;20250116\n") == []


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"", None, "empty"),
        (b"\xff\xfe", None, "UTF-8"),
        (b"X;NOTIF;20250116\n", 1, "header"),
        (b"H;NOTIF;2025-01-16\n", 1, "header date"),
        (GOOD.encode() + b"D;DILIFAC;F1;D1;;RECU;2025-01-15\n", 5, "fields"),
        (GOOD.encode() + b"D;DILIFAC;F1;D1;;RECU;15/01/2025 10:00;;\n", 5, "bad date"),
        (GOOD.encode() + b"D;EDI;F1;D1;;RECU;2025-01-15 10:00;;\n", 5, "source"),
        (GOOD.encode() + b"D;DILIFAC;F1;D1;;ACCEPTE;2025-01-15 10:00;;\n", 5, "Dilifac status"),
        (GOOD.encode() + b"D;CHORUS;F1;D1;;mise a dispo;2025-01-15 10:00;;\n", 5, "status"),
        (GOOD.encode() + b"D;CHORUS;;D1;;REJETEE;2025-01-15 10:00;;\n", 5, "invoice number"),
        (b"H;NOTIF;20250116\nH;NOTIF;20250116\n", 2, "'D'"),
    ],
)
def test_one_bad_line_rejects_the_file(content, line, words):
    with pytest.raises(NotificationParseError) as caught:
        parse_notification_file(content)
    assert caught.value.line_number == line
    assert words in str(caught.value)
    if line:
        assert str(caught.value).startswith(f"line {line}: ")


def test_event_key_depends_on_content_not_on_file_or_position():
    first = parse_notification_file(GOOD.encode())
    elsewhere = "H;NOTIF;20250301\n" + "\n".join(reversed(GOOD.splitlines()[1:]))
    second = parse_notification_file(elsewhere.encode())
    assert sorted(e.event_key for e in first) == sorted(e.event_key for e in second)
    assert len({e.event_key for e in first}) == 3
    changed = dataclasses.replace(first[0], message="autre")
    assert changed.event_key != first[0].event_key


def test_events_are_immutable():
    event = parse_notification_file(GOOD.encode())[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.status = "REJETE"


def test_parser_reads_what_the_sandbox_writes():
    when = datetime.datetime(2025, 1, 15, 15, 2)
    lines = [
        NotificationLine("DILIFAC", "FA 2025/003", "DLF1", None, "REJETE", when, "DLF-004",
                         "GLN invalide ; voir\nla fiche"),
        NotificationLine("CHORUS", "FA-2025/004", "DLF2", "4000002", "MISE_EN_PAIEMENT", when),
    ]
    rejected, paid = parse_notification_file(render_notification_file(when.date(), lines))
    assert (rejected.invoice_number, rejected.status, rejected.error_code) == (
        "FA 2025/003", "REJETE", "DLF-004"
    )
    assert rejected.message == "GLN invalide ; voir la fiche"
    assert rejected.date == when and rejected.chorus_invoice_id is None
    assert (paid.source, paid.chorus_invoice_id, paid.status, paid.message) == (
        "CHORUS", "4000002", "MISE_EN_PAIEMENT", None
    )


def test_writer_refuses_a_separator_outside_the_message():
    line = NotificationLine("CHORUS", "A;B", "DLF1", None, "REJETEE", datetime.datetime.now())
    with pytest.raises(ValueError, match="cannot hold"):
        render_notification_file(datetime.date.today(), [line])
