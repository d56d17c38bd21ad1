"""Notification file parser (addon) and writer (sandbox) agree; a bad line is refused with
its number and the others are kept; a bad header or an oversized file refuses the file."""
import dataclasses
import datetime
import io

import pytest

from chorus_pro_dilifac.lib.dilifac_notifications import (
    DILIFAC_STATUS_LABELS,
    NotificationFileTooLarge,
    NotificationParseError,
    parse_notification_file,
    read_notification_file,
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
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "UTF-8"),
        (b"X;NOTIF;20250116\n", "header"),
        (b"H;NOTIF;2025-01-16\n", "header date"),
    ],
)
def test_a_bad_header_refuses_the_file(content, words):
    with pytest.raises(NotificationParseError) as caught:
        parse_notification_file(content)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (b"D;DILIFAC;F1;D1;;RECU;2025-01-15\n", "fields"),
        (b"D;DILIFAC;F1;D1;;RECU;15/01/2025 10:00;;\n", "bad date"),
        (b"D;EDI;F1;D1;;RECU;2025-01-15 10:00;;\n", "source"),
        (b"D;DILIFAC;F1;D1;;ACCEPTE;2025-01-15 10:00;;\n", "Dilifac status"),
        (b"D;CHORUS;F1;D1;;mise a dispo;2025-01-15 10:00;;\n", "status"),
        (b"D;CHORUS;;D1;;REJETEE;2025-01-15 10:00;;\n", "invoice number"),
        (b"H;NOTIF;20250116\n", "'D'"),
        (b"D;CHORUS;F1\x00;D1;;REJETEE;2025-01-15 10:00;;\n", "control character"),
        (b"D;CHORUS;F1;D1;;REJETEE;2025-01-15 10:00;E1;motif\x00 nul\n", "control character"),
        (b"D;CHORUS;F1;D1;;REJETEE;2025-01-15 10:00;E1;\x1b[31m\n", "control character"),
        (b"D;CHORUS;F1;D1;;REJETEE;2025-01-15 10:00;E1;\xe9t\xe9\n", "UTF-8"),
    ],
)
def test_a_bad_line_is_refused_with_its_number_and_the_others_are_kept(bad, words):
    lines = GOOD.encode().splitlines(keepends=True)
    content = b"".join([*lines[:2], bad, *lines[2:]])
    parsed = parse_notification_file(content)
    assert [e.status for e in parsed] == ["RECU", "MISE_A_DISPOSITION", "REJETEE"]
    [error] = parsed.errors
    assert error.line_number == 3
    assert str(error).startswith("line 3: ")
    assert words in str(error)
    assert "\x00" not in str(error), "the refusal itself can be stored"


def test_a_file_is_read_as_a_stream_up_to_a_limit():
    big = GOOD.encode() + b"D;CHORUS;F9;D9;;REJETEE;2025-01-15 10:00;E1;" + b"x" * 5000 + b"\n"
    assert len(read_notification_file(io.BytesIO(big), limit=len(big))) == 4
    with pytest.raises(NotificationFileTooLarge) as caught:
        read_notification_file(io.BytesIO(big), limit=1000)
    assert "1000" in str(caught.value)


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
