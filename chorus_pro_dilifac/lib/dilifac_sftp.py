"""SFTP transport to Dilifac (Dilicom's Chorus Pro relay), assumed layout of dilifac.md.

Every folder, suffix and timing below is an assumed default and a constructor parameter.
Only :class:`~.errors.TransportError` leaves this module; its kinds mean here:

* ``auth``: anything to fix in the connection settings before retrying: credentials
  refused, host key not pinned or changed (codes ``HOST_KEY_UNKNOWN`` /
  ``HOST_KEY_MISMATCH``, the message names the fingerprint seen), no SSH algorithm in
  common (toggle ``legacy_algorithms``). A host key is never accepted automatically.
* ``transient``: the server could not be reached or the connection broke while nothing
  complete-looking had been written; retrying is safe.
* ``permanent``: the server refused an operation, or an upload would overwrite a name
  already used.
* ``unknown_outcome``: the connection broke while an upload was being made visible
  (rename or marker). Call :meth:`DilifacSftpClient.is_delivered`, then retry
  :meth:`~DilifacSftpClient.upload` if it is False: the retry completes or refuses.
"""
import base64
import fnmatch
import hashlib
import io
import posixpath
import re
import socket
import stat
from hashlib import sha1

import paramiko
from cryptography.hazmat.primitives import hashes
from paramiko.kex_group14 import KexGroup14SHA256
from paramiko.rsakey import RSAKey

from .dilifac_notifications import (
    NotificationFileTooLarge,
    NotificationParseError,
    read_notification_file,
)
from .errors import AUTH, PERMANENT, TRANSIENT, UNKNOWN_OUTCOME, TransportError

TMP_SUFFIX = ".tmp"
MARKER_SUFFIX = ".rdy"
DEFAULT_NOTIFICATION_PATTERN = "NOTIF_*.csv"
CHUNK_SIZE = 32768
# Prefix of a notification file set aside in the archive because it cannot be applied.
REFUSED_PREFIX = "REFUSED_"

# Dilicom's SFTP may require these (chorus-pro.md §7.1); off unless asked for.
LEGACY_ALGORITHMS = {
    "kex": ("diffie-hellman-group1-sha1",),
    "ciphers": ("aes128-cbc", "3des-cbc"),
    "macs": ("hmac-sha1",),
    "keys": ("ssh-rsa",),
}

_FINGERPRINT_RE = re.compile(r"SHA256:([A-Za-z0-9+/]{43})=?")


class _KexGroup1SHA1(KexGroup14SHA256):
    """RFC 4253 diffie-hellman-group1-sha1 (Oakley group 2), removed from paramiko 4."""

    P = int(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A"
        "08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9"
        "A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
        16,
    )
    name = "diffie-hellman-group1-sha1"
    hash_algo = sha1


class _SHA1RSAKey(RSAKey):
    """An RSA host key that may sign with SHA-1 (``ssh-rsa``), removed from paramiko 4."""

    HASHES = {**RSAKey.HASHES, "ssh-rsa": hashes.SHA1}


def _with_legacy(preferred, kind):
    return tuple(dict.fromkeys(preferred + LEGACY_ALGORITHMS[kind]))  # paramiko 3 has them


class _LegacyTransport(paramiko.Transport):
    """Modern algorithms first, then the legacy ones a Dilicom server may be limited to."""

    _preferred_kex = _with_legacy(paramiko.Transport._preferred_kex, "kex")
    _kex_info = {**paramiko.Transport._kex_info, _KexGroup1SHA1.name: _KexGroup1SHA1}
    _preferred_keys = _with_legacy(paramiko.Transport._preferred_keys, "keys")
    _key_info = {**paramiko.Transport._key_info, "ssh-rsa": _SHA1RSAKey}


def key_fingerprint(key):
    """``SHA256:<base64>`` of a public key, exactly as ``ssh-keygen -lf`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _open_transport(host, port, legacy_algorithms, timeout):
    """A started (key-exchanged, not authenticated) SSH transport."""
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except OSError as exc:
        raise TransportError(
            TRANSIENT, f"cannot reach the Dilifac SFTP server {host}:{port}: {exc}"
        ) from None
    if legacy_algorithms:
        transport = _LegacyTransport(sock)
    else:
        disabled = {kind: list(names) for kind, names in LEGACY_ALGORITHMS.items()}
        transport = paramiko.Transport(sock, disabled_algorithms=disabled)
    transport.banner_timeout = transport.handshake_timeout = timeout
    transport.auth_timeout = timeout
    try:
        transport.start_client(timeout=timeout)
    except paramiko.IncompatiblePeer as exc:
        transport.close()
        hint = "disable" if legacy_algorithms else "enable"
        raise TransportError(
            AUTH,
            f"no SSH algorithm in common with {host}:{port} ({exc}); "
            f"try to {hint} the legacy algorithms option",
            code="SSH_ALGORITHMS",
        ) from None
    except (paramiko.SSHException, OSError, EOFError) as exc:
        transport.close()
        raise TransportError(
            TRANSIENT, f"SSH handshake with {host}:{port} failed: {exc or type(exc).__name__}"
        ) from None
    return transport


def fetch_host_key_fingerprint(host, port, legacy_algorithms=False, timeout=10):
    """Return ``(key_type, 'SHA256:...')`` of the key the server presents, for pinning.

    It negotiates exactly as :class:`DilifacSftpClient` with the same ``legacy_algorithms``
    does, so the key type fetched is the one later checked. Show it to the administrator
    to compare with the fingerprint Dilicom gives; never pin it blindly.
    """
    transport = _open_transport(host, port, legacy_algorithms, timeout)
    try:
        key = transport.get_remote_server_key()
        return key.get_name(), key_fingerprint(key)
    finally:
        transport.close()


def _load_private_key(pem_text):
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(pem_text))
        except (paramiko.SSHException, ValueError):
            continue
    raise TransportError(
        AUTH, "the SFTP private key cannot be read (expected an unencrypted OpenSSH or PEM key)"
    )


class DilifacSftpClient:
    """One SFTP session on the bookseller's Dilifac account; use it as a context manager.

    ``consumed_dir`` is where the server is assumed to keep the uploads it has consumed
    (the sandbox moves ``I/<name>`` and its marker to ``I/.done/``): it is how
    :meth:`is_delivered` sees an upload that has already been taken, and how
    :meth:`upload` keeps refusing a name used before. With ``consumed_dir=None`` a
    consumed upload cannot be seen: the ORM must then wait for its ``RECU`` notification
    instead of trusting ``is_delivered() == False``.
    """

    def __init__(
        self,
        host,
        port,
        username,
        password=None,
        private_key=None,
        host_key_fingerprint=None,
        legacy_algorithms=False,
        upload_dir="I",
        outbox_dir="O",
        archive_dir="ARC",
        timeout=30,
        consumed_dir="I/.done",
    ):
        self.host = host
        self.port = int(port)
        self.username = username
        self.password = password
        self.private_key = private_key
        self.host_key_fingerprint = host_key_fingerprint
        self.legacy_algorithms = legacy_algorithms
        self.upload_dir = upload_dir
        self.outbox_dir = outbox_dir
        self.archive_dir = archive_dir
        self.timeout = timeout
        self.consumed_dir = consumed_dir
        self._transport = None
        self._sftp = None

    def __repr__(self):
        return f"<DilifacSftpClient {self.username}@{self.host}:{self.port}>"

    # -- connection ---------------------------------------------------------------------

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    def connect(self):
        """Open the session (idempotent): host key check, then key or password auth."""
        if self._sftp is not None:
            return
        pinned = self._pinned_fingerprint()
        transport = _open_transport(self.host, self.port, self.legacy_algorithms, self.timeout)
        try:
            self._check_host_key(transport, pinned)
            self._authenticate(transport)
            sftp = paramiko.SFTPClient.from_transport(transport)
            sftp.get_channel().settimeout(self.timeout)
        except TransportError:
            transport.close()
            raise
        except (paramiko.SSHException, OSError, EOFError) as exc:
            transport.close()
            raise TransportError(
                TRANSIENT, f"cannot open the SFTP session on {self.host}:{self.port}: {exc}"
            ) from None
        self._transport, self._sftp = transport, sftp

    def close(self):
        sftp, transport = self._sftp, self._transport
        self._sftp = self._transport = None
        for closable in (sftp, transport):
            if closable is not None:
                try:
                    closable.close()
                except (paramiko.SSHException, OSError, EOFError):  # pylint: disable=except-pass
                    pass  # closing a connection that already broke: nothing is left to release

    def _pinned_fingerprint(self):
        match = _FINGERPRINT_RE.search(self.host_key_fingerprint or "")
        if self.host_key_fingerprint and not match:
            raise TransportError(
                AUTH,
                "the pinned host key fingerprint must look like 'SHA256:<43 base64 chars>' "
                "(as printed by ssh-keygen -lf)",
                code="HOST_KEY_UNKNOWN",
            )
        return f"SHA256:{match.group(1)}" if match else None

    def _check_host_key(self, transport, pinned):
        key = transport.get_remote_server_key()
        seen = f"{key.get_name()} {key_fingerprint(key)}"
        where = f"{self.host}:{self.port}"
        if pinned is None:
            raise TransportError(
                AUTH,
                f"no host key fingerprint is pinned for {where}; the server presents {seen}. "
                "Check it with Dilicom, then pin it",
                code="HOST_KEY_UNKNOWN",
            )
        if key_fingerprint(key) != pinned:
            raise TransportError(
                AUTH,
                f"the host key of {where} does not match the pinned fingerprint {pinned}: "
                f"the server presents {seen}. Refusing to connect; pin the new key only after "
                "Dilicom confirms it",
                code="HOST_KEY_MISMATCH",
            )

    def _authenticate(self, transport):
        if not self.private_key and not self.password:
            raise TransportError(AUTH, "no SFTP password nor private key is configured")
        try:
            if self.private_key:
                try:
                    transport.auth_publickey(
                        self.username, _load_private_key(self.private_key)
                    )
                    return
                except paramiko.AuthenticationException:
                    if not self.password:
                        raise
            transport.auth_password(self.username, self.password)
        except paramiko.AuthenticationException:
            raise TransportError(
                AUTH,
                f"the Dilifac SFTP server {self.host}:{self.port} refused the credentials "
                f"of user {self.username!r}",
            ) from None

    def _client(self):
        self.connect()
        return self._sftp

    def _run(self, action, func, *args, outcome_unknown=False):
        """Call an SFTP operation, mapping its failure to a TransportError kind."""
        sftp = self._client()
        try:
            return func(sftp, *args)
        except TransportError:
            raise
        except (paramiko.SSHException, EOFError, OSError) as exc:
            lost = (
                isinstance(exc, (paramiko.SSHException, EOFError, TimeoutError))
                or not self._transport.is_active()
            )
            if not lost:
                raise TransportError(
                    PERMANENT, f"the Dilifac SFTP server refused {action}: {exc}"
                ) from None
            self.close()
            raise TransportError(
                UNKNOWN_OUTCOME if outcome_unknown else TRANSIENT,
                f"connection to the Dilifac SFTP server lost while {action}",
            ) from None

    # -- primitives (small on purpose: tests break the connection between them) -------

    def _exists(self, path):
        def stat(sftp):
            try:
                sftp.stat(path)
            except FileNotFoundError:
                return False
            return True

        return self._run(f"checking {path}", stat)

    def _read_file(self, sftp, path):
        buffer = io.BytesIO()
        sftp.getfo(path, buffer)
        return buffer.getvalue()

    def _write_file(self, sftp, path, content):
        with sftp.open(path, "wb") as remote:
            for start in range(0, len(content), CHUNK_SIZE):
                remote.write(content[start : start + CHUNK_SIZE])
        size = sftp.stat(path).st_size
        if size != len(content):
            raise OSError(f"{path} has {size} bytes on the server, {len(content)} were sent")

    def _rename(self, sftp, source, target):
        # SSH_FXP_RENAME (not posix-rename) fails when the target exists: never overwrites.
        sftp.rename(source, target)

    def _write_marker(self, sftp, path):
        with sftp.open(path, "x"):  # O_EXCL: never overwrites a marker
            pass

    # -- uploads ------------------------------------------------------------------------

    def _upload_path(self, name):
        if not name or "/" in name or name.startswith(".") or name.endswith(
            (TMP_SUFFIX, MARKER_SUFFIX)
        ):
            raise TransportError(PERMANENT, f"{name!r} is not a valid Dilifac upload name")
        return posixpath.join(self.upload_dir, name)

    def upload(self, name, content):
        """Publish ``content`` as ``<upload_dir>/<name>``, never overwriting.

        States of a name on the server, and what an upload (or its retry) does:

        1. nothing, or only a stale ``<name>.tmp``: write ``<name>.tmp`` (replacing the
           stale one), check its size, rename it to ``<name>``, then create the empty
           marker ``<name>.rdy``. A failure before the rename leaves at most
           ``<name>.tmp``, which Dilifac ignores: ``transient``. A connection lost once
           the rename was sent: ``unknown_outcome``.
        2. ``<name>`` without marker (an attempt died between rename and marker): the
           retry downloads ``<name>``; same bytes: it only creates the marker; other
           bytes: ``permanent``, nothing is touched.
        3. ``<name>.rdy`` present, or ``<name>`` already consumed (``consumed_dir``):
           ``permanent``, the name is used. :meth:`is_delivered` tells whether it was
           this upload.

        Dilifac takes a file only when its marker exists, so it never reads half a file.
        """
        path = self._upload_path(name)
        marker = path + MARKER_SUFFIX
        if self._exists(marker):
            raise TransportError(
                PERMANENT, f"{name} was already uploaded to Dilifac: never overwritten"
            )
        if self.consumed_dir and self._exists(posixpath.join(self.consumed_dir, name)):
            raise TransportError(
                PERMANENT, f"{name} was already uploaded and taken by Dilifac: never overwritten"
            )
        if self._exists(path):
            remote = self._run(f"reading back {path}", self._read_file, path)
            if remote != content:
                raise TransportError(
                    PERMANENT,
                    f"{name} already exists on the Dilifac server with another content: "
                    "not overwritten (send it under a new attempt name)",
                )
        else:
            tmp = path + TMP_SUFFIX
            self._run(f"writing {tmp}", self._write_file, tmp, content)
            self._run(f"renaming {tmp}", self._rename, tmp, path, outcome_unknown=True)
        self._run(f"writing {marker}", self._write_marker, marker, outcome_unknown=True)

    def exists(self, name):
        """True if the name is taken on the server: uploaded (complete or not) or consumed."""
        path = self._upload_path(name)
        if self._exists(path):
            return True
        return bool(self.consumed_dir) and self._exists(posixpath.join(self.consumed_dir, name))

    def is_delivered(self, name):
        """True if ``name`` is complete (file and marker) or already consumed by Dilifac.

        False means a retry of :meth:`upload` is needed (and safe): it either completes
        an upload stopped before its marker or uploads again.
        """
        path = self._upload_path(name)
        if self._exists(path) and self._exists(path + MARKER_SUFFIX):
            return True
        return bool(self.consumed_dir) and self._exists(posixpath.join(self.consumed_dir, name))

    def has_partial_upload(self, name):
        """True if an upload of ``name`` stopped half-way: a ``.tmp`` left, or the file
        without its marker. :meth:`upload` completes or replaces it safely.

        With :meth:`is_delivered` this settles an unknown outcome without knowing where
        Dilifac puts consumed files: after a rename was sent, a name that is neither
        delivered nor partial can only have been taken away by Dilifac.
        """
        path = self._upload_path(name)
        if self._exists(path + TMP_SUFFIX):
            return True
        return self._exists(path) and not self._exists(path + MARKER_SUFFIX)

    # -- notifications ------------------------------------------------------------------

    def _outbox_entries(self):
        """{name: SFTPAttributes} of the outbox (attributes of the entry itself: a symlink
        is seen as a symlink)."""
        entries = self._run(
            f"listing {self.outbox_dir}", lambda s: s.listdir_attr(self.outbox_dir)
        )
        return {entry.filename: entry for entry in entries}

    def list_notifications(self, pattern=DEFAULT_NOTIFICATION_PATTERN):
        """Names of the complete files (``<file>.rdy`` present) of the outbox, sorted."""
        return self._complete(self._outbox_entries(), pattern)

    def _complete(self, names, pattern):
        return sorted(
            name
            for name in names
            if not name.endswith(MARKER_SUFFIX)
            and fnmatch.fnmatchcase(name, pattern)
            and name + MARKER_SUFFIX in names
        )

    def download(self, name):
        path = posixpath.join(self.outbox_dir, name)
        return self._run(f"downloading {path}", self._read_file, path)

    def read_notifications(self, name, size_limit=None):
        """Parse an outbox file as it streams in (never whole in memory); see
        :func:`~.dilifac_notifications.read_notification_file`."""
        path = posixpath.join(self.outbox_dir, name)

        def read(sftp):
            with sftp.open(path, "rb") as remote:
                remote.prefetch()
                return read_notification_file(remote, limit=size_limit)

        return self._run(f"downloading {path}", read)

    def archive(self, name, prefix=""):
        """Move an outbox file and its marker to the archive, with a ``~<n>`` suffix if taken.

        Returns the archived name.
        """
        source = posixpath.join(self.outbox_dir, name)
        taken = set(self._run(f"listing {self.archive_dir}", lambda s: s.listdir(self.archive_dir)))
        stem, dot, extension = (prefix + name).rpartition(".")
        if not dot:
            stem, extension = prefix + name, ""
        target, counter = prefix + name, 1
        while target in taken or target + MARKER_SUFFIX in taken:
            counter += 1
            target = f"{stem}~{counter}{dot}{extension}"
        moved = False
        for suffix in ("", MARKER_SUFFIX):
            path = source + suffix
            if self._exists(path):
                destination = posixpath.join(self.archive_dir, target + suffix)
                self._run(f"archiving {path}", self._rename, path, destination)
                moved = True
        if not moved:
            raise TransportError(PERMANENT, f"{name} is not in {self.outbox_dir}: nothing archived")
        return target

    def set_aside(self, name):
        """Move an outbox entry that cannot be applied to the archive as
        ``REFUSED_<name>`` (kept, never deleted), so that it stops coming back."""
        return self.archive(name, prefix=REFUSED_PREFIX)

    def process_notifications(
        self, callback, pattern=DEFAULT_NOTIFICATION_PATTERN, size_limit=None
    ):
        """Apply every complete notification file, oldest name first.

        Per file: stream and parse it, ``callback(filename, events)``, then archive it,
        only if the callback returned (the ORM commits inside it). Refused lines are
        reported in ``line_errors`` and the rest of the file is applied. An entry that
        cannot be read (not a regular file, permission denied, over ``size_limit``
        bytes, bad header) is left in place, reported in ``refused`` (and ``too_large``)
        and the next files are still applied; the caller decides when to set it aside.
        A callback that raises leaves its file in place and stops the run, so that later
        files never overtake it. A lost connection stops the run (TransportError).

        Returns ``{"processed", "failed", "messages", "refused": {name: message},
        "line_errors": {name: [message]}, "too_large": [name]}``.
        """
        summary = {"processed": [], "failed": [], "messages": [], "refused": {},
                   "line_errors": {}, "too_large": []}
        entries = self._outbox_entries()
        names = self._complete(entries, pattern)

        def refuse(name, reason):
            summary["failed"].append(name)
            summary["refused"][name] = reason
            summary["messages"].append(f"{name}: not applied, left in place: {reason}")

        for index, name in enumerate(names):
            attributes = entries[name]
            if not stat.S_ISREG(attributes.st_mode or 0):
                refuse(name, "not a regular file (a folder or a symbolic link)")
                continue
            if size_limit and (attributes.st_size or 0) > size_limit:
                summary["too_large"].append(name)
                refuse(name, f"{attributes.st_size} bytes, more than the limit of "
                       f"{size_limit} bytes")
                continue
            try:
                events = self.read_notifications(name, size_limit)
            except NotificationFileTooLarge as exc:
                summary["too_large"].append(name)
                refuse(name, str(exc))
                continue
            except NotificationParseError as exc:
                refuse(name, str(exc))
                continue
            except TransportError as exc:
                if exc.kind != PERMANENT:  # the connection is gone: stop here
                    raise
                refuse(name, exc.message)
                continue
            if events.errors:
                summary["line_errors"][name] = [str(error) for error in events.errors]
                summary["messages"] += [f"{name}: {error}" for error in events.errors]
            try:
                callback(name, events)
            except Exception as exc:  # the ORM rolled back: the file is read again next run
                summary["failed"].append(name)
                summary["refused"][name] = f"{type(exc).__name__}: {exc}"
                summary["messages"].append(
                    f"{name}: not applied ({type(exc).__name__}: {exc}); "
                    f"{len(names) - index - 1} later file(s) left for the next run"
                )
                break
            self.archive(name)
            summary["processed"].append(name)
        return summary
