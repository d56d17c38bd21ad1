"""Helpers of the Dilifac tests that run the real sshd (fixtures: dilifac_sandbox_fixtures)."""
import datetime
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from chorus_pro_dilifac.lib.dilifac_sftp import DilifacSftpClient
from sandboxes.dilifac.sshd import SSHD_PATH, SshdSandbox


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


class FakeClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


def client_for(sandbox, **overrides):
    return DilifacSftpClient(**{**sandbox.connection_details(), "timeout": 10, **overrides})
