"""The test and demo commands on a newcomer's machine.

A root user who clones into a private folder (mode 0700, as /root is) must get a working
private PostgreSQL cluster: it runs as `postgres`, which cannot enter that folder.
"""

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _can_run_postgres():
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        return False
    return subprocess.run(["id", "postgres"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_run_postgres(), reason="needs root, PostgreSQL 15 and its user")
def test_private_cluster_starts_from_a_checkout_in_a_private_folder(tmp_path):
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    checkout = private / "chorus_pro_dilifac"
    (checkout / "tools").mkdir(parents=True)
    shutil.copy(REPO / "tools" / "common.sh", checkout / "tools" / "common.sh")
    env = {k: v for k, v in os.environ.items() if k not in ("RUN_DIR", "VENV", "PGHOST")}
    script = f"""
        set -euo pipefail
        source {checkout}/tools/common.sh
        pg_start
        trap pg_stop EXIT
        echo "cluster=$PG_DIR"
        psql_admin -tAc "SELECT 'answer ' || 42"
    """
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "answer 42" in result.stdout
    cluster = next(
        line.split("=", 1)[1] for line in result.stdout.splitlines() if line.startswith("cluster=")
    )
    try:
        assert not cluster.startswith(str(private)), "postgres cannot reach the private folder"
        assert Path(cluster).stat().st_uid == int(
            subprocess.check_output(["id", "-u", "postgres"], text=True)
        )
        stopped = subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PG_BIN / "pg_ctl"),
                "-D",
                f"{cluster}/data",
                "status",
            ],
            capture_output=True,
        )
        assert stopped.returncode == 3, "the cluster is stopped when the command ends"
    finally:
        shutil.rmtree(cluster, ignore_errors=True)


# Ctrl-C as the demo gets it: while it waits for Odoo (demo.sh ends in `wait`).
CTRL_C_WHILE_WAITING = '( sleep 0.2; kill -INT $$ ) & wait "${pids[-1]}"'


def _as_from_a_terminal():
    """Ctrl-C reaches the script as it does from a terminal, even when the suite itself was
    started in the background (`cmd &` without job control ignores SIGINT in cmd and all it
    starts, and bash cannot trap a signal ignored on entry)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("ending, status", [("exit 3", 3), (CTRL_C_WHILE_WAITING, 130)])
def test_processes_a_command_started_are_stopped_when_it_ends(tmp_path, ending, status):
    """demo.sh and bench.sh stop what they started on any exit, Ctrl-C included, and keep
    their exit status (tools/common.sh stop_on_exit)."""
    env = {**os.environ, "RUN_DIR": str(tmp_path / "run")}
    script = f"""
        set -euo pipefail
        source {REPO}/tools/common.sh
        stop_on_exit "Stopping"
        sleep 300 & pids+=($!)
        echo "pid=$!"
        sleep 300 & pids+=($!)
        echo "pid=$!"
        {ending}
    """
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        preexec_fn=_as_from_a_terminal,
    )
    assert result.returncode == status, result.stdout + result.stderr
    assert "Stopping" in result.stdout
    started = [int(line[4:]) for line in result.stdout.splitlines() if line.startswith("pid=")]
    assert len(started) == 2
    for pid in started:
        assert not Path(f"/proc/{pid}").exists(), f"{pid} still runs"
