"""Fixtures shared by the Dilifac tests that need the real sshd (import them by name).

The sshd runs once per importing test module; each test starts from an empty account.
"""
import datetime
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from chorus_pro_dilifac.lib.dilifac_sftp import DilifacSftpClient
from sandboxes.dilifac.processor import DilifacProcessor
from sandboxes.dilifac.sshd import ACCOUNT_DIRS, CONSUMED_DIR, SSHD_PATH, STATE_DIR, SshdSandbox


def sshd_processes(state_dir):
    """PIDs of live processes started with this sandbox's sshd_config (zombies excluded)."""
    config = str(Path(state_dir) / "sshd_config").encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and config in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def make_root():
    """A fresh sandbox root whose parents the SFTP user can traverse."""
    base = tempfile.mkdtemp(prefix="dilifac-test-")
    os.chmod(base, 0o755)
    return Path(base)


def start_sandbox(**kwargs):
    if not Path(SSHD_PATH).is_file():
        pytest.fail(f"{SSHD_PATH} is missing: run 'apt-get install -y openssh-server'")
    base = make_root()
    sandbox = SshdSandbox(base / "account", **kwargs)
    sandbox.start()
    return base, sandbox


def stop_sandbox(base, sandbox):
    sandbox.stop()
    leftovers = sshd_processes(sandbox.state_dir)
    shutil.rmtree(base, ignore_errors=True)
    assert not leftovers, f"sshd processes left running: {leftovers}"


@pytest.fixture(scope="module")
def dilifac_sshd():
    base, sandbox = start_sandbox()
    yield sandbox
    stop_sandbox(base, sandbox)


@pytest.fixture
def account(dilifac_sshd):
    """The running sandbox with an empty account and a fresh processor state."""
    root = dilifac_sshd.root
    for folder in (*ACCOUNT_DIRS, CONSUMED_DIR):
        for path in (root / folder).iterdir():
            if path.is_file():
                path.unlink()
    for name in ("processor.json", "processor.lock"):
        (root / STATE_DIR / name).unlink(missing_ok=True)
    return dilifac_sshd


class FakeClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def processor(account):
    return DilifacProcessor(account.root, immediate=True)


def client_for(sandbox, **overrides):
    return DilifacSftpClient(**{**sandbox.connection_details(), "timeout": 10, **overrides})
