"""DilifacSftpClient against a real OpenSSH server (sandboxes.dilifac.sshd)."""
import os
import pwd
import shutil
import subprocess

import paramiko
import pytest
from dilifac_sandbox_helpers import client_for, start_sandbox, stop_sandbox
from dilifac_ubl_fixture import render_dilifac_ubl

from chorus_pro_dilifac.lib import dilifac_sftp
from chorus_pro_dilifac.lib.dilifac_sftp import (
    LEGACY_ALGORITHMS,
    DilifacSftpClient,
    fetch_host_key_fingerprint,
)
from chorus_pro_dilifac.lib.errors import (
    AUTH,
    PERMANENT,
    TRANSIENT,
    UNKNOWN_OUTCOME,
    TransportError,
)
from sandboxes.dilifac.sshd import free_port

pytest_plugins = ["dilifac_sandbox_fixtures"]

NAME = "FAC_R1_F-001.xml"


def _listing(sandbox, folder="I"):
    return sorted(p.name for p in (sandbox.root / folder).iterdir())


def _notif(sandbox, name, body="", marker=True):
    path = sandbox.root / "O" / name
    path.write_bytes(("H;NOTIF;20250116\n" + body).encode())
    if marker:
        (sandbox.root / "O" / (name + ".rdy")).touch()


def _line(number, status="RECU", message=""):
    return f"D;DILIFAC;{number};DLF1;;{status};2025-01-15 15:02;;{message}\n"


# -- host key and authentication ----------------------------------------------------------


def test_fetched_fingerprint_is_what_ssh_keygen_prints(dilifac_sshd):
    key_type, fingerprint = fetch_host_key_fingerprint(dilifac_sshd.host, dilifac_sshd.port)
    assert (key_type, fingerprint) == ("ssh-ed25519", dilifac_sshd.host_key_fingerprint)
    pub = dilifac_sshd.state_dir / "host_ed25519_key.pub"
    printed = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True)
    assert printed.stdout.split()[1] == fingerprint


def test_no_pinned_key_is_refused_naming_the_key_seen(dilifac_sshd):
    with pytest.raises(TransportError) as caught:
        client_for(dilifac_sshd, host_key_fingerprint=None).connect()
    assert (caught.value.kind, caught.value.code) == (AUTH, "HOST_KEY_UNKNOWN")
    assert dilifac_sshd.host_key_fingerprint in caught.value.message


def test_changed_host_key_is_refused(dilifac_sshd):
    pinned = dilifac_sshd.host_key_fingerprints["ssh-rsa"]  # a real key, not this one
    with pytest.raises(TransportError) as caught:
        client_for(dilifac_sshd, host_key_fingerprint=pinned).connect()
    assert (caught.value.kind, caught.value.code) == (AUTH, "HOST_KEY_MISMATCH")
    assert pinned in caught.value.message
    assert dilifac_sshd.host_key_fingerprint in caught.value.message


def test_malformed_pin_is_refused(dilifac_sshd):
    with pytest.raises(TransportError) as caught:
        client_for(dilifac_sshd, host_key_fingerprint="MD5:aa:bb").connect()
    assert caught.value.kind == AUTH


def test_pin_may_be_pasted_from_ssh_keygen_output(dilifac_sshd):
    line = f"256 {dilifac_sshd.host_key_fingerprint} root@host (ED25519)"
    with client_for(dilifac_sshd, host_key_fingerprint=line) as client:
        assert client.list_notifications() == []


def test_password_auth(account):
    with client_for(account) as client:
        assert client.list_notifications() == []


def test_key_auth_without_password(account):
    with client_for(account, password=None, private_key=account.private_key_pem) as client:
        assert client.list_notifications() == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"password": "wrong"},
        {"password": None},
        {"password": None, "private_key": "not a key"},
        {"username": "nobody-here"},
    ],
)
def test_bad_credentials_are_auth_errors(dilifac_sshd, overrides):
    with pytest.raises(TransportError) as caught:
        client_for(dilifac_sshd, **overrides).connect()
    assert caught.value.kind == AUTH
    assert "wrong" not in caught.value.message


def test_nothing_listening_is_transient():
    client = DilifacSftpClient("127.0.0.1", free_port("127.0.0.1"), "dilifac", password="x",
                               host_key_fingerprint="SHA256:" + "A" * 43, timeout=5)
    with pytest.raises(TransportError) as caught:
        client.connect()
    assert caught.value.kind == TRANSIENT


# -- legacy algorithms ------------------------------------------------------------------


@pytest.fixture(scope="module")
def legacy_sshd():
    base, sandbox = start_sandbox(legacy_only=True)
    yield sandbox
    stop_sandbox(base, sandbox)


def test_legacy_only_server_needs_the_legacy_toggle(legacy_sshd):
    with pytest.raises(TransportError) as caught:
        client_for(legacy_sshd, legacy_algorithms=False).connect()
    assert (caught.value.kind, caught.value.code) == (AUTH, "SSH_ALGORITHMS")
    assert "legacy" in caught.value.message


def test_legacy_toggle_negotiates_the_legacy_algorithms(legacy_sshd):
    key_type, fingerprint = fetch_host_key_fingerprint(
        legacy_sshd.host, legacy_sshd.port, legacy_algorithms=True
    )
    assert (key_type, fingerprint) == ("ssh-rsa", legacy_sshd.host_key_fingerprint)
    with client_for(legacy_sshd, legacy_algorithms=True) as client:
        transport = client._transport
        assert transport.remote_cipher in LEGACY_ALGORITHMS["ciphers"]
        assert transport.remote_mac in LEGACY_ALGORITHMS["macs"]
        assert transport.host_key_type == "ssh-rsa"
        client.upload(NAME, b"<x/>")
        assert client.is_delivered(NAME)


def test_legacy_toggle_still_prefers_modern_algorithms(account):
    with client_for(account, legacy_algorithms=True) as client:
        assert client._transport.remote_cipher not in LEGACY_ALGORITHMS["ciphers"]
        assert client._transport.host_key_type == "ssh-ed25519"


# -- uploads -------------------------------------------------------------------------------


def test_upload_renames_then_writes_an_empty_marker(account):
    with client_for(account) as client:
        client.upload(NAME, b"<invoice/>")
        assert client.is_delivered(NAME) and client.exists(NAME)
    assert _listing(account) == [".done", NAME, NAME + ".rdy"]
    assert (account.root / "I" / NAME).read_bytes() == b"<invoice/>"
    assert (account.root / "I" / (NAME + ".rdy")).read_bytes() == b""


def test_an_uploaded_name_is_never_overwritten(account, processor):
    with client_for(account) as client:
        client.upload(NAME, b"first")
        with pytest.raises(TransportError) as caught:
            client.upload(NAME, b"second")
        assert caught.value.kind == PERMANENT and "never overwritten" in caught.value.message
        assert processor.run_once() == [NAME]
        assert client.is_delivered(NAME) and client.exists(NAME)
        with pytest.raises(TransportError) as caught:
            client.upload(NAME, b"first")
        assert caught.value.kind == PERMANENT and "taken by Dilifac" in caught.value.message
    assert (account.root / "I/.done" / NAME).read_bytes() == b"first"


def test_a_stale_tmp_file_is_replaced(account):
    stale = account.root / "I" / (NAME + ".tmp")
    stale.write_bytes(b"half of an old attempt, much longer than the new content")
    user = pwd.getpwnam(account.username)
    os.chown(stale, user.pw_uid, user.pw_gid)  # left by the account's own dropped upload
    with client_for(account) as client:
        client.upload(NAME, b"complete")
    assert _listing(account) == [".done", NAME, NAME + ".rdy"]
    assert (account.root / "I" / NAME).read_bytes() == b"complete"


def test_bad_upload_names_are_refused(account):
    with client_for(account) as client:
        for name in ("../x.xml", ".hidden", "x.xml.rdy", "x.xml.tmp", ""):
            with pytest.raises(TransportError) as caught:
                client.upload(name, b"x")
            assert caught.value.kind == PERMANENT


def test_connection_dropped_mid_write_leaves_nothing_to_read(account, processor, monkeypatch):
    content = render_dilifac_ubl("F-001")
    monkeypatch.setattr(dilifac_sftp, "CHUNK_SIZE", 256)
    original_write = paramiko.SFTPFile.write
    writes = []

    def write_then_drop(sftp_file, data):
        original_write(sftp_file, data)
        writes.append(data)
        if len(writes) == 1:
            account.kill_connections()

    client = client_for(account)
    client.connect()
    monkeypatch.setattr(paramiko.SFTPFile, "write", write_then_drop)
    with pytest.raises(TransportError) as caught:
        client.upload(NAME, content)
    monkeypatch.undo()
    assert caught.value.kind == TRANSIENT
    assert NAME not in _listing(account) and NAME + ".rdy" not in _listing(account)
    assert processor.run_once() == []

    with client_for(account) as retry:
        assert not retry.is_delivered(NAME)
        retry.upload(NAME, content)
    assert processor.run_once() == [NAME]
    assert processor.run_once() == []
    assert (account.root / "I/.done" / NAME).read_bytes() == content
    assert _listing(account) == [".done"]


def _drop_before(account, client, monkeypatch, method):
    original = getattr(client, method)

    def drop_then_call(*args):
        account.kill_connections()
        return original(*args)

    monkeypatch.setattr(client, method, drop_then_call)


def test_connection_dropped_after_rename_is_completed_by_the_retry(
    account, processor, monkeypatch
):
    content = render_dilifac_ubl("F-001")
    client = client_for(account)
    _drop_before(account, client, monkeypatch, "_write_marker")
    with pytest.raises(TransportError) as caught:
        client.upload(NAME, content)
    assert caught.value.kind == UNKNOWN_OUTCOME
    assert _listing(account) == [".done", NAME]  # renamed, no marker: not for Dilifac yet
    assert processor.run_once() == []

    with client_for(account) as retry:
        assert not retry.is_delivered(NAME)
        retry.upload(NAME, content)
        assert retry.is_delivered(NAME)
    assert processor.run_once() == [NAME]


def test_retry_with_other_content_after_rename_is_refused(account, monkeypatch):
    client = client_for(account)
    _drop_before(account, client, monkeypatch, "_write_marker")
    with pytest.raises(TransportError):
        client.upload(NAME, b"version 1")
    with client_for(account) as retry, pytest.raises(TransportError) as caught:
        retry.upload(NAME, b"version 2")
    assert caught.value.kind == PERMANENT and "another content" in caught.value.message
    assert (account.root / "I" / NAME).read_bytes() == b"version 1"
    assert NAME + ".rdy" not in _listing(account)


def test_connection_dropped_at_rename_is_unknown_then_retried(account, monkeypatch):
    client = client_for(account)
    _drop_before(account, client, monkeypatch, "_rename")
    with pytest.raises(TransportError) as caught:
        client.upload(NAME, b"content")
    assert caught.value.kind == UNKNOWN_OUTCOME
    with client_for(account) as retry:
        assert not retry.is_delivered(NAME)
        retry.upload(NAME, b"content")
    assert _listing(account) == [".done", NAME, NAME + ".rdy"]


def test_server_stopped_then_restarted():
    base, sandbox = start_sandbox()
    try:
        sandbox.stop()
        with pytest.raises(TransportError) as caught:
            client_for(sandbox).connect()
        assert caught.value.kind == TRANSIENT
        sandbox.start()
        with client_for(sandbox) as client:  # same port, same pinned key
            client.upload(NAME, b"x")
            assert client.is_delivered(NAME)
    finally:
        stop_sandbox(base, sandbox)


def test_a_dropped_connection_during_listing_is_transient(account):
    with client_for(account) as client:
        account.kill_connections()
        with pytest.raises(TransportError) as caught:
            client.list_notifications()
        assert caught.value.kind == TRANSIENT
        assert client.list_notifications() == []  # reconnects on the next call


# -- notifications ----------------------------------------------------------------------


def test_only_complete_matching_files_are_listed(account):
    _notif(account, "NOTIF_20250116100000_0002.csv")
    _notif(account, "NOTIF_20250116100000_0001.csv")
    _notif(account, "NOTIF_20250116100000_0003.csv", marker=False)
    _notif(account, "OTHER_1.csv")
    (account.root / "O" / "NOTIF_20250116100000_0004.csv.tmp").write_bytes(b"")
    with client_for(account) as client:
        assert client.list_notifications() == [
            "NOTIF_20250116100000_0001.csv", "NOTIF_20250116100000_0002.csv"
        ]
        assert client.list_notifications("OTHER_*.csv") == ["OTHER_1.csv"]


def test_archive_never_overwrites(account):
    name = "NOTIF_20250116100000_0001.csv"
    _notif(account, name)
    (account.root / "ARC" / name).write_bytes(b"older")
    with client_for(account) as client:
        assert client.archive(name) == "NOTIF_20250116100000_0001~2.csv"
        with pytest.raises(TransportError) as caught:
            client.archive(name)
        assert caught.value.kind == PERMANENT
    assert _listing(account, "O") == []
    assert (account.root / "ARC" / name).read_bytes() == b"older"
    assert _listing(account, "ARC") == [
        name, "NOTIF_20250116100000_0001~2.csv", "NOTIF_20250116100000_0001~2.csv.rdy"
    ]


def test_files_are_archived_only_after_the_callback_succeeded(account):
    _notif(account, "NOTIF_1.csv", _line("F-1") + _line("F-2", "TRANSMIS"))
    _notif(account, "NOTIF_2.csv", _line("F-3"))
    seen = []
    with client_for(account) as client:
        summary = client.process_notifications(lambda name, events: seen.append((name, events)))
    assert summary["processed"] == ["NOTIF_1.csv", "NOTIF_2.csv"]
    assert not (summary["failed"] or summary["messages"] or summary["refused"])
    assert [(n, [e.invoice_number for e in events]) for n, events in seen] == [
        ("NOTIF_1.csv", ["F-1", "F-2"]), ("NOTIF_2.csv", ["F-3"])
    ]
    assert _listing(account, "O") == []
    assert _listing(account, "ARC") == ["NOTIF_1.csv", "NOTIF_1.csv.rdy", "NOTIF_2.csv",
                                        "NOTIF_2.csv.rdy"]


def test_a_failing_callback_leaves_its_file_and_stops(account):
    _notif(account, "NOTIF_1.csv", _line("F-1"))
    _notif(account, "NOTIF_2.csv", _line("F-2"))

    def callback(name, events):
        raise RuntimeError("database is locked")

    with client_for(account) as client:
        summary = client.process_notifications(callback)
    assert summary["processed"] == [] and summary["failed"] == ["NOTIF_1.csv"]
    assert "database is locked" in summary["messages"][0]
    assert "1 later file(s)" in summary["messages"][0]
    assert _listing(account, "O") == ["NOTIF_1.csv", "NOTIF_1.csv.rdy", "NOTIF_2.csv",
                                      "NOTIF_2.csv.rdy"]


def test_a_file_with_a_bad_line_applies_the_others_and_is_archived(account):
    bad = "H;NOTIF;20250116\n" + _line("F-1") + "D;DILIFAC;F-2;DLF2;;RECU;hier;;\n"
    (account.root / "O" / "NOTIF_1.csv").write_text(bad)
    (account.root / "O" / "NOTIF_1.csv.rdy").touch()
    _notif(account, "NOTIF_2.csv", _line("F-3"))
    applied = []
    with client_for(account) as client:
        summary = client.process_notifications(lambda name, events: applied.extend(events))
    assert summary["processed"] == ["NOTIF_1.csv", "NOTIF_2.csv"] and not summary["failed"]
    assert [e.invoice_number for e in applied] == ["F-1", "F-3"]
    assert "line 3" in summary["line_errors"]["NOTIF_1.csv"][0]
    assert (account.root / "ARC" / "NOTIF_1.csv").read_text() == bad, "kept as it came"


def test_a_file_with_a_bad_header_is_reported_and_left_untouched(account):
    (account.root / "O" / "NOTIF_1.csv").write_text("NOTIF\n" + _line("F-1"))
    (account.root / "O" / "NOTIF_1.csv.rdy").touch()
    _notif(account, "NOTIF_2.csv", _line("F-3"))
    applied = []
    with client_for(account) as client:
        summary = client.process_notifications(lambda name, events: applied.extend(events))
    assert summary["failed"] == ["NOTIF_1.csv"] and summary["processed"] == ["NOTIF_2.csv"]
    assert "header" in summary["refused"]["NOTIF_1.csv"]
    assert [e.invoice_number for e in applied] == ["F-3"]
    assert _listing(account, "O") == ["NOTIF_1.csv", "NOTIF_1.csv.rdy"]


def test_unreadable_entries_do_not_stop_the_run(account):
    outbox = account.root / "O"
    _notif(account, "NOTIF_1.csv", _line("F-1"))
    os.chown(outbox / "NOTIF_1.csv", 0, 0)
    (outbox / "NOTIF_1.csv").chmod(0o000)  # permission denied for the SFTP user
    (outbox / "NOTIF_2.csv").mkdir()  # a folder
    (outbox / "NOTIF_2.csv.rdy").touch()
    (outbox / "NOTIF_3.csv").symlink_to("/etc/passwd")  # a symlink
    (outbox / "NOTIF_3.csv.rdy").touch()
    _notif(account, "NOTIF_4.csv", _line("F-4"))
    applied = []
    with client_for(account) as client:
        summary = client.process_notifications(lambda name, events: applied.extend(events))
    assert summary["processed"] == ["NOTIF_4.csv"]
    assert summary["failed"] == ["NOTIF_1.csv", "NOTIF_2.csv", "NOTIF_3.csv"]
    assert "not a regular file" in summary["refused"]["NOTIF_2.csv"]
    assert "not a regular file" in summary["refused"]["NOTIF_3.csv"]
    assert "refused" in summary["refused"]["NOTIF_1.csv"]
    assert [e.invoice_number for e in applied] == ["F-4"]


def test_an_oversized_file_is_refused_without_being_read(account):
    _notif(account, "NOTIF_1.csv", _line("F-1") * 200)
    _notif(account, "NOTIF_2.csv", _line("F-2"))
    applied = []
    with client_for(account) as client:
        summary = client.process_notifications(
            lambda name, events: applied.extend(events), size_limit=1000
        )
    assert summary["failed"] == ["NOTIF_1.csv"] and summary["processed"] == ["NOTIF_2.csv"]
    assert summary["too_large"] == ["NOTIF_1.csv"]
    assert "1000" in summary["refused"]["NOTIF_1.csv"]


def test_an_entry_set_aside_is_kept_in_the_archive(account):
    (account.root / "O" / "NOTIF_2.csv").mkdir()
    user = pwd.getpwnam(account.username)
    os.chown(account.root / "O" / "NOTIF_2.csv", user.pw_uid, user.pw_gid)
    (account.root / "O" / "NOTIF_2.csv.rdy").touch()
    _notif(account, "NOTIF_1.csv", "D;bad\n")
    with client_for(account) as client:
        assert client.set_aside("NOTIF_1.csv") == "REFUSED_NOTIF_1.csv"
        assert client.set_aside("NOTIF_2.csv") == "REFUSED_NOTIF_2.csv"
    assert _listing(account, "O") == []
    assert (account.root / "ARC" / "REFUSED_NOTIF_1.csv").read_text().endswith("D;bad\n")
    assert (account.root / "ARC" / "REFUSED_NOTIF_2.csv").is_dir()


def _keys(events):
    return [e.event_key for e in events]


def test_the_same_file_read_twice_gives_the_same_event_keys(account):
    _notif(account, "NOTIF_1.csv", _line("F-1") + _line("F-1", "TRANSMIS", "ok; vu"))
    keys = []
    with client_for(account) as client:
        client.process_notifications(lambda _name, events: keys.append(_keys(events)))
        # Dilifac puts the same file out again: a fresh download, same events
        for name in ("NOTIF_1.csv", "NOTIF_1.csv.rdy"):
            shutil.copy(account.root / "ARC" / name, account.root / "O" / name)
        client.process_notifications(lambda _name, events: keys.append(_keys(events)))
    assert len(keys) == 2 and keys[0] == keys[1] and len(set(keys[0])) == 2
    assert _listing(account, "ARC") == ["NOTIF_1.csv", "NOTIF_1.csv.rdy", "NOTIF_1~2.csv",
                                        "NOTIF_1~2.csv.rdy"]
