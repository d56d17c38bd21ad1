"""Run a command as a child subreaper: ``python reaper.py <command> [args...]``.

At the end of each SFTP session sshd leaves its unprivileged session process to be
reparented and reaped by PID 1, which in a container may never reap it: ``pgrep sshd``
then lists zombies long after the sandbox stopped. Under this wrapper those orphans come
here and are reaped at once. On SIGTERM the whole tree (listener and sessions) is killed,
reaped, and the wrapper exits. Standalone on purpose: started by file path.
"""
import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def descendants(pid):
    """PIDs of every process below ``pid``, from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(_signum=None, _frame=None):
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main(argv):
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
    signal.signal(signal.SIGTERM, _kill_tree)
    signal.signal(signal.SIGINT, _kill_tree)
    command = os.fork()
    if command == 0:
        os.execv(argv[0], argv)
    exit_code = 0
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return exit_code
        if pid == command:
            exit_code = os.waitstatus_to_exitcode(status)
            _kill_tree()  # sessions must not outlive their listener


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
