"""The one error type raised by every transport (Chorus Pro API, Dilifac SFTP).

The ORM layer decides what to do with an invoice from ``kind`` alone:

* ``auth``: credentials refused; nothing was sent, fix the settings then retry.
* ``transient``: the other side could not be reached or failed (5xx, refused
  connection); nothing was accepted, retrying later is safe.
* ``permanent``: the other side understood and refused (4xx with a code); retrying
  the same request will fail the same way.
* ``unknown_outcome``: the request may or may not have been accepted (timeout or
  dropped connection after a deposit was sent). Never resend blindly: look the
  invoice up first.
"""

AUTH = "auth"
TRANSIENT = "transient"
PERMANENT = "permanent"
UNKNOWN_OUTCOME = "unknown_outcome"
KINDS = (AUTH, TRANSIENT, PERMANENT, UNKNOWN_OUTCOME)


class TransportError(Exception):
    """A failure talking to Chorus Pro or Dilifac, classified by ``kind``.

    ``message`` is safe to show to a user and to log: it never contains a secret
    nor the content of a file.
    """

    def __init__(self, kind, message, code=None, http_status=None):
        if kind not in KINDS:
            raise ValueError(f"unknown transport error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.http_status = http_status

    def __str__(self):
        prefix = f"[{self.code}] " if self.code not in (None, "") else ""
        return f"{prefix}{self.message}"
