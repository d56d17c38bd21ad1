"""Run the Dilifac sandbox: sshd on loopback plus the processor polling ``I/``.

    python -m sandboxes.dilifac --root /srv/dilifac [--port 2222] [--immediate]
    python -m sandboxes.dilifac --root /srv/dilifac set-status <invoice> <STATUS> [--reason ..]

The second form plays the buyer on a running sandbox (they share the processor state).
Ctrl-C stops sshd and the processor.
"""
import argparse
import logging
import signal
import sys
import time
from pathlib import Path

from .processor import DilifacProcessor
from .sshd import STATE_DIR, SshdSandbox

_log = logging.getLogger("sandboxes.dilifac")


def _serve(args):
    root = Path(args.root).resolve()
    log_file = root / STATE_DIR / "processor.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s",
        handlers=[logging.StreamHandler(sys.stdout), logging.FileHandler(log_file)],
    )
    processor = DilifacProcessor(root, immediate=args.immediate)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    with SshdSandbox(root, port=args.port, legacy_only=args.legacy_only) as sandbox:
        key_path = sandbox.state_dir / "user_ed25519_key"
        print(
            f"Dilifac sandbox on sftp://{sandbox.username}@{sandbox.host}:{sandbox.port}\n"
            f"  password      {sandbox.password}\n"
            f"  private key   {key_path}\n"
            f"  host key      {sandbox.host_key_fingerprint}\n"
            f"  legacy only   {sandbox.legacy_only}\n"
            f"  root          {root}\n"
            f"  sshd log      {sandbox.log_path}\n"
            f"  processor log {log_file}\n"
            f"Notifications {'at once' if args.immediate else 'the next day at 10:00'}; "
            "Ctrl-C to stop.",
            flush=True,
        )
        try:
            while True:
                for name in processor.run_once():
                    _log.info("consumed %s", name)
                time.sleep(args.interval)
        except KeyboardInterrupt:
            print("stopping", flush=True)


def _set_status(args):
    DilifacProcessor(args.root, immediate=args.immediate).set_chorus_status(
        args.invoice, args.status, args.reason
    )
    print(f"queued CHORUS {args.status} for {args.invoice}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandboxes.dilifac", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help="account root (I/ O/ ARC/ are made)")
    parser.add_argument("--immediate", action="store_true",
                        help="write notifications at once instead of the next day at 10:00")
    parser.set_defaults(func=_serve)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--interval", type=float, default=3.0, help="polling period, seconds")
    parser.add_argument("--legacy-only", action="store_true",
                        help="accept only the legacy SSH algorithms Dilicom may require")
    commands = parser.add_subparsers(dest="command")
    status = commands.add_parser("set-status", help="queue a buyer status (Chorus side)")
    status.add_argument("invoice")
    status.add_argument("status")
    status.add_argument("--reason")
    status.set_defaults(func=_set_status)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
