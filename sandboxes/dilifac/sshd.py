"""A real OpenSSH server on loopback serving one Dilifac account (dilifac.md "The sandbox").

The account is a system user (``dilifac`` by default) created with ``useradd`` if missing
(no home, ``nologin`` shell) whose password is (re)set with ``chpasswd`` at each start.
sshd forces ``internal-sftp -d <root>`` for it, so an SFTP session starts in the sandbox
root and can do nothing but SFTP. No chroot: ``ChrootDirectory`` needs every parent
folder root-owned and not group/world-writable, which a temporary folder never is.
Instead every parent of the root must be world-traversable; ``start()`` says which one
is not.

Layout of the root::

    I/  O/  ARC/      the account's folders, owned by the SFTP user
    I/.done/          uploads the processor consumed (root-owned: read-only for the user)
    .sandbox/sshd/    host keys, user key, authorized_keys, sshd_config, pid (kept, so
                      a restart on the same root keeps the fingerprint)

sshd runs under ``reaper.py`` (a child subreaper), so ``stop()`` leaves no process, not
even the zombies sshd's finished sessions would otherwise hand to PID 1.

Needs root and Debian's ``openssh-server`` (``/usr/sbin/sshd``); installs nothing.
"""
import atexit
import base64
import contextlib
import hashlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from .reaper import descendants

SSHD_PATH = "/usr/sbin/sshd"
REAPER = Path(__file__).with_name("reaper.py")
NOLOGIN_SHELL = "/usr/sbin/nologin"
PRIVSEP_DIR = "/run/sshd"
DEFAULT_USERNAME = "dilifac"
# A fixed password so that sandboxes started side by side on one machine agree on it.
DEFAULT_PASSWORD = "Dilifac-Sandbox-2025"
ACCOUNT_DIRS = ("I", "O", "ARC")
CONSUMED_DIR = "I/.done"
STATE_DIR = ".sandbox"
START_TIMEOUT = 15
LEGACY_ONLY_CONFIG = (
    "KexAlgorithms diffie-hellman-group1-sha1",
    "Ciphers aes128-cbc,3des-cbc",
    "MACs hmac-sha1",
    "HostKeyAlgorithms ssh-rsa",
)


class SandboxError(RuntimeError):
    """The sandbox cannot run here; the message says what to fix."""


def free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def public_key_fingerprint(pub_line):
    """``SHA256:...`` of an OpenSSH public key line, as ``ssh-keygen -lf`` prints it."""
    blob = base64.b64decode(pub_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SandboxError(f"{' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result


class SshdSandbox:
    """sshd on ``host:port`` (0: a free port) for the Dilifac account rooted at ``root_dir``.

    ``legacy_only=True`` limits the server to the legacy algorithms Dilicom may require,
    to test the client's ``legacy_algorithms`` toggle. Connection details:
    ``host, port, username, password, private_key_pem, host_key_fingerprint``.
    """

    def __init__(
        self,
        root_dir,
        host="127.0.0.1",
        port=0,
        log_path=None,
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        legacy_only=False,
        sshd_path=SSHD_PATH,
    ):
        self.root = Path(root_dir).resolve()
        self.host = host
        self.port = int(port)
        self.username = username
        self.password = password
        self.legacy_only = legacy_only
        self.sshd_path = sshd_path
        self.state_dir = self.root / STATE_DIR / "sshd"
        self.log_path = Path(log_path) if log_path else self.root / STATE_DIR / "sshd.log"
        self.private_key_pem = None
        self.host_key_fingerprints = {}
        self._process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()

    @property
    def host_key_fingerprint(self):
        """Fingerprint of the key the server presents (RSA when ``legacy_only``)."""
        return self.host_key_fingerprints["ssh-rsa" if self.legacy_only else "ssh-ed25519"]

    def connection_details(self):
        """Keyword arguments for the addon's ``DilifacSftpClient`` (password auth)."""
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "host_key_fingerprint": self.host_key_fingerprint,
            "legacy_algorithms": self.legacy_only,
        }

    # -- lifecycle ------------------------------------------------------------------------

    def start(self):
        if self._process is not None:
            return
        self._check_host()
        self._prepare_account()
        self._prepare_root()
        self._prepare_keys()
        fixed_port = self.port
        for _attempt in range(3):
            self.port = fixed_port or free_port(self.host)
            options = self._write_config()
            try:
                self._spawn(options)
                break
            except SandboxError:
                if fixed_port or "Address already in use" not in self._log_tail():
                    raise
        atexit.register(self.stop)

    def stop(self):
        """Stop sshd and every connection it serves; nothing is left, not even a zombie."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        process.terminate()  # the reaper kills and reaps the whole tree
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            for pid in descendants(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()

    def restart(self):
        """Stop then start again on the same port, with the same keys."""
        self.stop()
        self.start()

    def kill_connections(self):
        """Drop every open SFTP connection at once; the listener keeps running.

        Returns once the killed processes are gone, so the next client call fails.
        """
        if self._process is None:
            raise SandboxError("the sandbox is not running")
        listener = int((self.state_dir / "sshd.pid").read_text())
        victims = [p for p in descendants(self._process.pid) if p != listener]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(Path(f"/proc/{p}").exists() for p in victims):
            if time.monotonic() > deadline:
                raise SandboxError(f"sshd connections survived SIGKILL: {victims}")
            time.sleep(0.01)

    # -- setup --------------------------------------------------------------------------

    def _check_host(self):
        if not Path(self.sshd_path).is_file():
            raise SandboxError(
                f"{self.sshd_path} is missing: install it with 'apt-get install -y openssh-server'"
            )
        if shutil.which("ssh-keygen") is None:
            raise SandboxError("ssh-keygen is missing: install 'openssh-client'")
        if os.geteuid() != 0:
            raise SandboxError("the Dilifac sandbox runs sshd and manages its account: run as root")
        if any(c.isspace() or c in "\"'%" for c in str(self.root)):
            raise SandboxError(f"the sandbox root {self.root} must not contain spaces, quotes or %")
        os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)

    def _prepare_account(self):
        try:
            pwd.getpwnam(self.username)
        except KeyError:
            result = subprocess.run(
                [
                    "useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", "/nonexistent", "--shell", NOLOGIN_SHELL,
                    "--comment", "Dilifac SFTP sandbox", self.username,
                ],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                try:  # another sandbox may have created it meanwhile
                    pwd.getpwnam(self.username)
                except KeyError:
                    raise SandboxError(f"useradd failed: {result.stderr.strip()}") from None
        _run(["chpasswd"], input=f"{self.username}:{self.password}\n")

    def _prepare_root(self):
        account = pwd.getpwnam(self.username)
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        for parent in self.root.parents:
            if not parent.stat().st_mode & stat.S_IXOTH:
                raise SandboxError(
                    f"{parent} is not traversable by user {self.username}: put the sandbox root "
                    "under world-traversable folders (chmod o+x, e.g. 0o755 on a mkdtemp() folder)"
                )
        for name in ACCOUNT_DIRS:
            folder = self.root / name
            folder.mkdir(exist_ok=True)
            os.chown(folder, account.pw_uid, account.pw_gid)
            folder.chmod(0o755)
        consumed = self.root / CONSUMED_DIR
        consumed.mkdir(exist_ok=True)
        os.chown(consumed, 0, 0)
        consumed.chmod(0o755)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o711)  # authorized_keys is read as the user, the rest is not
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

    def _keygen(self, key_type, path, *extra):
        if not path.exists():
            _run(["ssh-keygen", "-q", "-t", key_type, *extra, "-N", "", "-C", "dilifac-sandbox",
                  "-f", str(path)])
        return Path(f"{path}.pub").read_text().strip()

    def _prepare_keys(self):
        self.host_key_fingerprints = {
            "ssh-ed25519": public_key_fingerprint(
                self._keygen("ed25519", self.state_dir / "host_ed25519_key")
            ),
            "ssh-rsa": public_key_fingerprint(
                self._keygen("rsa", self.state_dir / "host_rsa_key", "-b", "2048")
            ),
        }
        user_public = self._keygen("ed25519", self.state_dir / "user_ed25519_key")
        authorized = self.state_dir / "authorized_keys"
        authorized.write_text(user_public + "\n")
        authorized.chmod(0o644)
        self.private_key_pem = (self.state_dir / "user_ed25519_key").read_text()

    def _write_config(self):
        """Write sshd_config; return the extra ``-o`` options this sshd version supports."""
        lines = [
            f"ListenAddress {self.host}:{self.port}",
            f"HostKey {self.state_dir / 'host_ed25519_key'}",
            f"HostKey {self.state_dir / 'host_rsa_key'}",
            f"PidFile {self.state_dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.state_dir / 'authorized_keys'}",
            f"AllowUsers {self.username}",
            "UsePAM no",
            "PermitRootLogin no",
            "PasswordAuthentication yes",
            "PubkeyAuthentication yes",
            "KbdInteractiveAuthentication no",
            "StrictModes no",
            "DisableForwarding yes",
            "PermitTTY no",
            "LogLevel VERBOSE",
            "Subsystem sftp internal-sftp",
            f"ForceCommand internal-sftp -d {self.root}",
            *(LEGACY_ONLY_CONFIG if self.legacy_only else ()),
        ]
        config = self.state_dir / "sshd_config"
        config.write_text("\n".join(lines) + "\n")
        # Newer sshd (9.8+) penalise sources that fail auth: tests do so on purpose.
        probe = [self.sshd_path, "-t", "-f", str(config)]
        options = ["-o", "PerSourcePenalties=no"]
        if subprocess.run(probe + options, capture_output=True, check=False).returncode == 0:
            return options
        _run(probe)
        return []

    def _spawn(self, options):
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, str(REAPER), self.sshd_path, "-D", "-e",
                 "-f", str(self.state_dir / "sshd_config"), *options],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise SandboxError(f"sshd exited at start:\n{self._log_tail()}")
            if self._banner_ready():
                return
            time.sleep(0.05)
        self.stop()
        raise SandboxError(f"sshd did not answer within {START_TIMEOUT} s:\n{self._log_tail()}")

    def _banner_ready(self):
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                return sock.recv(8).startswith(b"SSH-")
        except OSError:
            return False

    def _log_tail(self, lines=15):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
