"""Fixtures of the Dilifac tests that need the real sshd: ``pytest_plugins = [this module]``.

One sshd serves the whole session; each test using ``account`` starts from an empty account.
"""
import shutil

import pytest
from dilifac_sandbox_helpers import start_sandbox, stop_sandbox

from sandboxes.dilifac.processor import DilifacProcessor
from sandboxes.dilifac.sshd import ACCOUNT_DIRS, CONSUMED_DIR, STATE_DIR


@pytest.fixture(scope="session")
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
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir() and folder != "I":  # a test's folder entry, not I/.done
                shutil.rmtree(path)
    for name in ("processor.json", "processor.lock"):
        (root / STATE_DIR / name).unlink(missing_ok=True)
    return dilifac_sshd


@pytest.fixture
def processor(account):
    return DilifacProcessor(account.root, immediate=True)
