"""The Dilifac sandbox: sshd lifecycle, the processor, and end to end through the client."""
import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest
from dilifac_sandbox_helpers import (
    FakeClock,
    client_for,
    sshd_processes,
    start_sandbox,
    stop_sandbox,
)
from dilifac_ubl_fixture import (
    HOSPITAL_SIRET,
    STATE_GLN,
    render_dilifac_ubl,
)

from chorus_pro_dilifac.lib.dilifac_naming import invoice_file_name
from chorus_pro_dilifac.lib.dilifac_notifications import parse_notification_file
from chorus_pro_dilifac.lib.errors import TRANSIENT, TransportError
from sandboxes.dilifac.processor import DilifacProcessor, gln_is_valid
from sandboxes.dilifac.sshd import SandboxError, SshdSandbox

pytest_plugins = ["dilifac_sandbox_fixtures"]
REPO = Path(__file__).resolve().parent.parent


def _upload(sandbox, number, **invoice):
    name = invoice_file_name("R1", number)
    with client_for(sandbox) as client:
        client.upload(name, render_dilifac_ubl(number, **invoice))
    return name


def _events(sandbox):
    """Apply every notification like the ORM does; return (source, number, status, code,
    chorus id, message) tuples."""
    applied = []
    with client_for(sandbox) as client:
        summary = client.process_notifications(lambda name, events: applied.extend(events))
    assert summary["failed"] == []
    return [
        (e.source, e.invoice_number, e.status, e.error_code, e.chorus_invoice_id, e.message)
        for e in applied
    ]


def _statuses(events):
    return [(source, status) for source, _, status, *_ in events]


# -- sshd ----------------------------------------------------------------------------------


def test_connection_details_and_layout(dilifac_sshd):
    details = dilifac_sshd.connection_details()
    assert details["host"] == "127.0.0.1" and details["port"] > 0
    assert details["host_key_fingerprint"].startswith("SHA256:")
    assert dilifac_sshd.private_key_pem.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    for folder in ("I", "O", "ARC", "I/.done"):
        assert (dilifac_sshd.root / folder).is_dir()
    assert "Server listening" in dilifac_sshd.log_path.read_text()


def test_restart_keeps_keys_and_stop_leaves_nothing():
    base, sandbox = start_sandbox()
    try:
        fingerprint, port = sandbox.host_key_fingerprint, sandbox.port
        with client_for(sandbox) as client:
            client.upload("FAC_R1_1.xml", b"x")
            sandbox.restart()  # with a connection open
            assert (sandbox.port, sandbox.host_key_fingerprint) == (port, fingerprint)
        sandbox.stop()
        assert sshd_processes(sandbox.state_dir) == []
        sandbox.stop()  # idempotent
        again = SshdSandbox(sandbox.root)  # same root, new object: same keys
        with again:
            assert again.host_key_fingerprint == fingerprint
            with client_for(again) as client:
                assert client.is_delivered("FAC_R1_1.xml")
        assert sshd_processes(sandbox.state_dir) == []
    finally:
        stop_sandbox(base, sandbox)


def test_kill_connections_drops_an_open_session(account):
    client = client_for(account)
    client.connect()
    account.kill_connections()
    with pytest.raises(TransportError) as caught:
        client.exists("FAC_R1_1.xml")
    assert caught.value.kind == TRANSIENT
    client.close()


def test_missing_sshd_is_a_clear_error(tmp_path):
    with pytest.raises(SandboxError, match="apt-get install -y openssh-server"):
        SshdSandbox(tmp_path / "account", sshd_path="/nonexistent/sshd").start()


def test_root_must_be_traversable(tmp_path):
    tmp_path.chmod(0o700)
    with pytest.raises(SandboxError, match="not traversable"):
        SshdSandbox(tmp_path / "account").start()


# -- processor alone (filesystem) -----------------------------------------------------------


@pytest.fixture
def local_root(tmp_path):
    for folder in ("I", "O", "ARC"):
        (tmp_path / folder).mkdir()
    return tmp_path


def _drop(root, name, content, marker=True):
    (root / "I" / name).write_bytes(content)
    if marker:
        (root / "I" / (name + ".rdy")).touch()


def test_processor_ignores_tmp_and_unmarked_files(local_root):
    _drop(local_root, "FAC_R1_A.xml.tmp", b"partial", marker=False)
    _drop(local_root, "FAC_R1_B.xml", render_dilifac_ubl("B"), marker=False)
    processor = DilifacProcessor(local_root, immediate=True)
    assert processor.run_once() == []
    assert sorted(p.name for p in (local_root / "I").iterdir()) == [
        "FAC_R1_A.xml.tmp", "FAC_R1_B.xml"
    ]
    assert list((local_root / "O").iterdir()) == []


def test_notifications_wait_for_the_next_day_at_ten(local_root):
    clock = FakeClock(datetime.datetime(2025, 1, 15, 15, 2))
    processor = DilifacProcessor(local_root, clock=clock)
    _drop(local_root, "FAC_R1_A.xml", render_dilifac_ubl("A"))
    assert processor.run_once() == ["FAC_R1_A.xml"]
    assert (local_root / "I/.done/FAC_R1_A.xml").exists()
    assert processor.pending_notifications() == 3
    clock.advance(hours=18, minutes=57)  # 2025-01-16 09:59
    processor.run_once()
    assert list((local_root / "O").iterdir()) == []
    clock.advance(minutes=1)
    processor.run_once()
    name = "NOTIF_20250116100000_0001.csv"
    assert sorted(p.name for p in (local_root / "O").iterdir()) == [name, name + ".rdy"]
    events = parse_notification_file((local_root / "O" / name).read_bytes())
    assert [e.status for e in events] == ["RECU", "TRANSMIS", "MISE_A_DISPOSITION"]
    assert {e.date for e in events} == {datetime.datetime(2025, 1, 15, 15, 2)}
    assert processor.pending_notifications() == 0


def test_buyer_statuses_are_checked(local_root):
    processor = DilifacProcessor(local_root, immediate=True)
    with pytest.raises(ValueError, match="not made available"):
        processor.set_chorus_status("UNKNOWN", "MISE_EN_PAIEMENT")
    _drop(local_root, "FAC_R1_A.xml", render_dilifac_ubl("A"))
    processor.run_once()
    with pytest.raises(ValueError, match="reason is required"):
        processor.set_chorus_status("A", "SUSPENDUE")
    with pytest.raises(ValueError, match="not a status"):
        processor.set_chorus_status("A", "RECU")


def test_gs1_check_digit():
    assert gln_is_valid("3025594696108") and gln_is_valid("3025594697303")
    assert not gln_is_valid("3025594696109")
    assert not gln_is_valid("302559469610") and not gln_is_valid(None)


def test_command_line_queues_a_buyer_status(local_root):
    _drop(local_root, "FAC_R1_A.xml", render_dilifac_ubl("A"))
    DilifacProcessor(local_root, immediate=True).run_once()
    subprocess.run(
        [sys.executable, "-m", "sandboxes.dilifac", "--root", str(local_root), "--immediate",
         "set-status", "A", "SERVICE_FAIT"],
        check=True, capture_output=True, cwd=REPO,
    )
    state = json.loads((local_root / ".sandbox/processor.json").read_text())
    assert state["invoices"]["A"]["status"] == "SERVICE_FAIT"
    assert len(list((local_root / "O").glob("NOTIF_*.csv"))) == 2


# -- end to end: client -> sshd -> processor -> sshd -> client ---------------------------


def test_valid_invoice_is_received_forwarded_and_made_available(account, processor):
    name = _upload(account, "FA-2025/001")
    assert processor.run_once() == [name]
    events = _events(account)
    assert _statuses(events) == [
        ("DILIFAC", "RECU"), ("DILIFAC", "TRANSMIS"), ("CHORUS", "MISE_A_DISPOSITION")
    ]
    assert {e[1] for e in events} == {"FA-2025/001"}
    chorus_id = events[-1][4]
    assert chorus_id and events[0][4] is None
    with client_for(account) as client:
        assert client.is_delivered(name) and client.list_notifications() == []

    processor.set_chorus_status("FA-2025/001", "MISE_EN_PAIEMENT")
    assert _events(account) == [
        ("CHORUS", "FA-2025/001", "MISE_EN_PAIEMENT", None, chorus_id, None)
    ]
    processor.set_chorus_status("FA-2025/001", "SUSPENDUE", reason="Bon de livraison; manquant")
    assert _events(account)[0][5] == "Bon de livraison; manquant"


def test_bad_gln_is_a_technical_rejection(account, processor):
    _upload(account, "FA-2025/002", recipient_gln="3025594696109")
    processor.run_once()
    [(source, number, status, code, chorus_id, message)] = _events(account)
    assert (source, number, status, code, chorus_id) == (
        "DILIFAC", "FA-2025/002", "REJETE", "DLF-004", None
    )
    assert "GLN du destinataire absent ou invalide (3025594696109)" in message


def test_state_gln_requires_the_state_siret(account, processor):
    _upload(account, "FA-2025/003", recipient_gln=STATE_GLN)
    _upload(account, "FA-2025/004", issuer_gln="123")
    processor.run_once()
    assert [(e[1], e[2], e[3]) for e in _events(account)] == [
        ("FA-2025/003", "REJETE", "DLF-005"), ("FA-2025/004", "REJETE", "DLF-003")
    ]


def test_unreadable_xml_is_rejected_under_the_file_name(account, processor):
    with client_for(account) as client:
        client.upload("FAC_R1_BROKEN.xml", b"<Invoice><cbc:ID>")
    processor.run_once()
    [event] = _events(account)
    assert event[:4] == ("DILIFAC", "FAC_R1_BROKEN", "REJETE", "DLF-001")
    assert "mal formé" in event[5]


def test_chorus_rule_failure_is_reported_by_chorus(account, processor):
    _upload(account, "FA-2025/005", buyer_siret=HOSPITAL_SIRET)  # service code missing
    processor.run_once()
    events = _events(account)
    assert _statuses(events) == [
        ("DILIFAC", "RECU"), ("DILIFAC", "TRANSMIS"), ("CHORUS", "REJETEE")
    ]
    _, number, _, code, chorus_id, message = events[-1]
    assert (number, code, chorus_id) == ("FA-2025/005", "SERVICE_OBLIGATOIRE", None)
    assert "code service est obligatoire" in message

    # fixed and sent again: same number, new attempt name
    with client_for(account) as client:
        client.upload(invoice_file_name("R1", "FA-2025/005", attempt=2),
                      render_dilifac_ubl("FA-2025/005", buyer_siret=HOSPITAL_SIRET,
                                         service_code="BIBLIO"))
    processor.run_once()
    assert _statuses(_events(account))[-1] == ("CHORUS", "MISE_A_DISPOSITION")


def test_a_duplicate_invoice_number_is_refused_by_chorus(account, processor):
    _upload(account, "FA-2025/006")
    processor.run_once()
    _events(account)
    with client_for(account) as client:
        client.upload(invoice_file_name("R1", "FA-2025/006", attempt=2),
                      render_dilifac_ubl("FA-2025/006"))
    processor.run_once()
    assert _events(account)[-1][2:4] == ("REJETEE", "DOUBLON")
