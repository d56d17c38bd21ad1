"""The harness: sandboxes, Odoo processes, and the counts taken from the sandboxes.

Every count comes from what the other side recorded, never from what Odoo believes:

* deposits per invoice: Chorus Pro, the invoices of every flow the sandbox received
  (integrated, or refused with their number, e.g. as duplicates); Dilifac, every upload
  the sshd's disk holds complete (consumed by the processor, or waiting with its marker).
* notifications lost: every well-formed line the Dilifac outbox held (as written by the
  sandbox, or by a case playing a hostile sender) that is missing from its invoice's
  history once the scheduled action ran, plus one per invoice whose state is not the one
  of its newest notification; through the API, every status of the sandbox's history
  missing from Odoo's, plus one per invoice whose state is not the sandbox's.
* stranded: an invoice still 'being sent' (or in no known state) after recovery ran.
* crashed scheduled actions: runs of the scheduled action that raised (rolled back, so
  the other invoices and companies of that run were skipped).
"""
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zoneinfo
from pathlib import Path

from sandboxes.chorus_pro import ChorusProSandbox
from sandboxes.chorus_pro.checks import SYNTAX_UBL, DocumentError, parse_invoice
from sandboxes.dilifac.processor import DilifacProcessor
from sandboxes.dilifac.sshd import CONSUMED_DIR, SshdSandbox

from .injectors import HttpFaultProxy, TcpRelay, TlsRefuser

AGENT_SCRIPT = Path(__file__).with_name("agent.py")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
VISIBLE_STATES = {
    "to_transmit", "sent", "integrated", "made_available", "service_done", "mandated",
    "paid", "rejected", "suspended", "to_recycle", "error", "cancelled",
}
# Summary of a Chorus Pro invoice status, as the addon shows it (lib/chorus_status.py).
CHORUS_SUMMARY = {
    "DEPOSEE": "integrated", "MISE_A_DISPOSITION": "made_available",
    "PRISE_EN_COMPTE_DESTINATAIRE": "made_available", "SERVICE_FAIT": "service_done",
    "MANDATEE": "mandated", "MISE_A_DISPOSITION_COMPTABLE": "mandated",
    "COMPTABILISEE": "mandated", "MISE_EN_PAIEMENT": "paid", "REJETEE": "rejected",
    "SUSPENDUE": "suspended", "A_RECYCLER": "to_recycle",
}
# Order of the life cycle, to rank notifications written in the same minute.
LIFECYCLE = [
    "DILIFAC:RECU", "DILIFAC:TRANSMIS", "DILIFAC:REJETE", "CHORUS:DEPOSEE",
    "CHORUS:MISE_A_DISPOSITION", "CHORUS:PRISE_EN_COMPTE_DESTINATAIRE", "CHORUS:A_RECYCLER",
    "CHORUS:SUSPENDUE", "CHORUS:COMPLETEE", "CHORUS:SERVICE_FAIT", "CHORUS:REJETEE",
    "CHORUS:MANDATEE", "CHORUS:MISE_A_DISPOSITION_COMPTABLE", "CHORUS:COMPTABILISEE",
    "CHORUS:MISE_EN_PAIEMENT",
]
DAY = 25 * 3600  # past both the 15-minute grace and the 24-hour hand-over


class AgentError(RuntimeError):
    pass


class Agent:
    """One Odoo process (``odoo-bin shell``) running faults/agent.py."""

    def __init__(self, world, name):
        self.name = name
        self.log_path = world.work / f"agent-{name}.log"
        ours, theirs = socket.socketpair()
        log = open(self.log_path, "ab")  # noqa: SIM115
        env = dict(os.environ, FAULTS_AGENT_FD=str(theirs.fileno()))
        with open(AGENT_SCRIPT, "rb") as script:
            self.process = subprocess.Popen(
                [sys.executable, world.odoo_bin, "shell", "-c", world.conf, "-d", world.db,
                 "--no-http", "--log-level=warn"],
                stdin=script, stdout=log, stderr=log, pass_fds=[theirs.fileno()], env=env,
            )
        theirs.close()
        log.close()
        self._sock = ours
        self._stream = ours.makefile("rwb", buffering=0)
        self._lock = threading.Lock()
        ours.settimeout(600)
        line = self._stream.readline()
        if not line:
            raise AgentError(f"Odoo process {name} stopped at start: see agent-{name}.log")
        self.pid = json.loads(line)["ready"]

    def call(self, command, **args):
        with self._lock:
            self._stream.write(json.dumps({"command": command, "args": args}).encode() + b"\n")
            line = self._stream.readline()
        if not line:
            raise AgentError(f"Odoo process {self.name} died during {command}")
        answer = json.loads(line)
        if "exception" in answer:
            raise AgentError(f"{command} raised {answer['exception']}\n{answer['traceback']}")
        return answer["result"]

    def kill9(self):
        self.process.kill()  # SIGKILL: no rollback, no cleanup, like the OOM killer
        self.process.wait()
        self._sock.close()

    def close(self):
        if self.process.poll() is None:
            self._sock.close()  # the script's loop ends, the shell rolls back and exits
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class World:
    """Everything the cases share: one database, one install, both sandboxes."""

    def __init__(self, conf, db, work, http_port, odoo_bin):
        self.conf, self.db, self.odoo_bin = conf, db, odoo_bin
        self.work = Path(work)
        self.http_port = http_port
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
        self.chorus = ChorusProSandbox(log_path=str(self.work / "chorus-sandbox.log"))
        self.chorus.start()
        self.proxy = HttpFaultProxy(self.chorus.url)
        self.tls = TlsRefuser(self.work)
        self.sshd = SshdSandbox(self.work / "dilifac", log_path=self.work / "sshd.log")
        self.sshd.start()
        self.processor = DilifacProcessor(self.sshd.root, immediate=True)
        self.relay = TcpRelay(self.sshd.host, self.sshd.port)
        # The second Odoo process starts while the first one sets the company up.
        second = self.pool.submit(Agent, self, "b")
        self.agents = [Agent(self, "a"), second]
        self.ids = self.agent.call("setup", report_url=f"http://127.0.0.1:{http_port}")
        account = self.chorus.directory.accounts[0]
        self.api_settings = {
            "chorus_transport": "api",
            "chorus_piste_client_id": self.chorus.directory.client_id,
            "chorus_piste_client_secret": self.chorus.directory.client_secret,
            "chorus_tech_login": account.login,
            "chorus_tech_password": account.password,
            "chorus_api_oauth_url": self.proxy.url,
            "chorus_api_base_url": self.proxy.url,
        }
        self.dilifac_settings = {
            "chorus_transport": "dilifac",
            "chorus_sftp_host": "127.0.0.1",
            "chorus_sftp_port": self.relay.port,
            "chorus_sftp_user": self.sshd.username,
            "chorus_sftp_password": self.sshd.password,
            "chorus_sftp_host_fingerprint": self.sshd.host_key_fingerprint,
        }

    @property
    def agent(self):
        return self.agent_at(0)

    def agent_at(self, index):
        agent = self.agents[index]
        if isinstance(agent, concurrent.futures.Future):
            agent = self.agents[index] = agent.result()
        return agent

    def sql(self, query, params):
        """Read the database directly (the Odoo processes may be busy or dead)."""
        import psycopg2

        with psycopg2.connect(dbname=self.db) as connection, connection.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def replace_agent(self, index):
        """A new Odoo process in place of one that was killed (started in the background)."""
        name = f"{self.agents[index].name}+"
        self.agents[index] = self.pool.submit(Agent, self, name)

    def stop(self):
        for index in range(len(self.agents)):
            try:
                self.agent_at(index).close()
            except Exception:  # noqa: S110 (a replacement that could not start)
                pass
        for part in (self.proxy, self.tls, self.relay):
            part.stop()
        self.sshd.stop()
        self.chorus.stop()
        self.pool.shutdown(cancel_futures=True)

    # -- between cases ------------------------------------------------------------------
    def reset_sandboxes(self):
        self.proxy.clear()
        self.relay.drop()
        self.chorus.platform.reset()
        root = self.sshd.root
        for folder in ("I", "O", "ARC", CONSUMED_DIR):
            for path in (root / folder).iterdir():
                if path.is_dir() and path.name == ".done":
                    continue
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        self.processor.state_path.unlink(missing_ok=True)


class Case:
    """One row of the matrix: its invoices and what the sandboxes say about them."""

    def __init__(self, world, name, transport, injected):
        self.world, self.name, self.transport, self.injected = world, name, transport, injected
        self.moves = []  # [{id, name}]
        self.notifications = []  # Dilifac lines the outbox held, well-formed ones
        self.seen_files = set()
        self.unknown_numbers = []  # notifications for invoices Odoo does not know
        self.notes = []
        self.crashed = 0  # scheduled action runs that raised

    @property
    def ids(self):
        return [move["id"] for move in self.moves]

    @property
    def agent(self):
        return self.world.agent

    def invoices(self, count):
        ids = self.world.ids
        self.moves += self.agent.call("invoices", company=ids["company"], town=ids["town"],
                                      product=ids["product"], count=count)
        return self.ids

    def send(self, agent=None, timeout=None):
        result = (agent or self.agent).call("send", ids=self.ids, timeout=timeout)
        if result.get("crash"):
            self.notes.append(f"Send raised {result['crash']}")
        return result["error"]

    # -- Dilifac's side ------------------------------------------------------------------
    def dilifac_runs(self):
        """Dilifac consumes the uploads; the harness notes every notification written."""
        self.world.processor.run_once()
        self.snapshot_outbox()

    def snapshot_outbox(self):
        outbox = self.world.sshd.root / "O"
        for path in sorted(outbox.iterdir()):
            if path.name in self.seen_files or path.suffix != ".csv":
                continue
            self.seen_files.add(path.name)
            self.note_lines(path.read_bytes().decode("utf-8").splitlines())

    def note_lines(self, lines):
        for line in lines:
            fields = line.split(";")
            if fields[0] == "D" and len(fields) >= 9:
                self.notifications.append(fields)

    def write_notification(self, name, content, ready=True):
        """Put a file in the outbox the way Dilifac does (tmp, rename, marker)."""
        outbox = self.world.sshd.root / "O"
        tmp = outbox / (name + ".tmp")
        tmp.write_bytes(content)
        os.rename(tmp, outbox / name)
        self.seen_files.add(name)
        if ready:
            (outbox / (name + ".rdy")).touch()

    # -- recovery ----------------------------------------------------------------------
    def recover(self, retry=True, rounds=3):
        """What happens next in production: the other side processes, the scheduled
        action runs (a day later, so every waiting rule has expired), and a person presses
        Send again on what Odoo says was not sent."""
        for _round in range(rounds):
            self.other_side_runs()
            self.agent.call("age", ids=self.ids, seconds=DAY)
            self.cron_runs()
        if not retry:
            return
        again = [row["id"] for row in self.inspect() if self.retry_is_offered(row)]
        if again:
            self.notes.append(f"resent {len(again)}")
            result = self.agent.call("send", ids=again)
            if result.get("crash"):
                self.notes.append(f"resending raised {result['crash']}")
            for _round in range(2):
                self.other_side_runs()
                self.agent.call("age", ids=self.ids, seconds=DAY)
                self.cron_runs()

    @staticmethod
    def retry_is_offered(row):
        last = row["history"][-1]["code"] if row["history"] else None
        return row["state"] == "to_transmit" or (row["state"] == "error" and last == "SEND_FAILED")

    def cron_runs(self, agent=None, fetch_now=False):
        """The scheduled action runs (or, ``fetch_now``, a user clicks "Fetch news now");
        a crash, or an SQL error in the log, is counted."""
        agent = agent or self.agent
        start = agent.log_path.stat().st_size
        if fetch_now:
            crash = agent.call("fetch_now", company=self.world.ids["company"])
        else:
            crash = agent.call("cron", name=self.cron)
        with open(agent.log_path, "rb") as log:
            log.seek(start)
            logged = log.read().decode("utf-8", "replace")
        # An SQL error aborts the run's transaction: what the run did after it is lost,
        # even when a handler of the addon caught the exception.
        bad_sql = "odoo.sql_db: bad query" in logged
        sql_error = re.search(r"psycopg2\.errors\.(\w+)", logged)
        if crash or bad_sql:
            # The run rolled back, or went on in an aborted transaction: the other
            # invoices and companies of that run were skipped.
            self.crashed += 1
            if crash:
                note = f"scheduled action raised {crash.split(':')[0]}"
            else:
                note = f"scheduled action hit {sql_error.group(1) if sql_error else 'an SQL error'}"
            if note not in self.notes:
                self.notes.append(note)

    @property
    def cron(self):
        return "api_poll" if self.transport == "api" else "dilifac_poll"

    def other_side_runs(self):
        if self.transport == "api":
            self.world.chorus.process_all()
        else:
            self.dilifac_runs()

    def inspect(self):
        return self.agent.call("inspect", ids=self.ids)

    # -- counts --------------------------------------------------------------------------
    def deposits(self):
        """{invoice number: times the other side received it}."""
        counts = {move["name"]: 0 for move in self.moves}
        if self.transport == "api":
            self.world.chorus.process_all()
            numbers = {i["identifiantFactureCPP"]: i["numeroFacture"]
                       for i in self.world.chorus.invoices()}
            for flow in self.world.chorus.flows():
                inside = {numbers[i] for i in flow["identifiantsFactureCPP"]}
                inside |= {e["numeroDP"] for e in flow["listeErreurDP"]}
                for number in inside & counts.keys():
                    counts[number] += 1
            return counts
        root = self.world.sshd.root
        uploads = [p for p in (root / CONSUMED_DIR).iterdir() if not p.name.endswith(".rdy")]
        uploads += [p for p in (root / "I").iterdir()
                    if p.is_file() and (root / "I" / (p.name + ".rdy")).exists()]
        for path in uploads:
            try:
                number = parse_invoice(path.read_bytes(), SYNTAX_UBL).number
            except DocumentError:
                continue
            if number in counts:
                counts[number] += 1
        return counts

    def lost(self, rows):
        by_name = {row["name"]: row for row in rows}
        if self.transport == "api":
            return self._lost_api(by_name)
        lost = 0
        newest = {}
        for fields in self.notifications:
            _tag, source, number, _dlf, _cid, status, date = fields[:7]
            row = by_name.get(number)
            if row is None:
                continue
            when = datetime.datetime.strptime(date, "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)
            utc = when.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M")
            kind = "dilifac" if source == "DILIFAC" else "chorus_invoice"
            if not any(h["source"] == kind and h["code"] == status and h["date"][:16] == utc
                       for h in row["history"]):
                lost += 1
            key = f"{source}:{status}"
            rank = (utc, LIFECYCLE.index(key) if key in LIFECYCLE else -1)
            if number not in newest or rank > newest[number][0]:
                newest[number] = (rank, source, status)
        for number, (_rank, source, status) in newest.items():
            if by_name[number]["state"] != _expected_state(source, status):
                lost += 1
        for number in self.unknown_numbers:
            seen = self.agent.call("company_messages", company=self.world.ids["company"],
                                   needle=number)
            lost += 0 if seen else 1
        return lost

    def _lost_api(self, by_name):
        lost = 0
        for item in self.world.chorus.invoices():
            row = by_name.get(item["numeroFacture"])
            if row is None:
                continue
            codes = {h["code"] for h in row["history"] if h["source"] == "chorus_invoice"}
            lost += sum(1 for code in set(item["historique"]) if code not in codes)
            if row["state"] != CHORUS_SUMMARY.get(item["statut"], "integrated"):
                lost += 1
        return lost

    def row(self):
        rows = self.inspect()
        deposits = self.deposits()
        lost = self.lost(rows)
        stranded = [row for row in rows if row["state"] not in VISIBLE_STATES]
        counts = [deposits[move["name"]] for move in self.moves]
        states = {}
        for row in rows:
            states[row["state"]] = states.get(row["state"], 0) + 1
        final = ", ".join(f"{n}× {state}" for state, n in sorted(states.items()))
        if stranded:
            final += f" STRANDED: {', '.join(row['name'] for row in stranded)}"
        if self.notes:
            final += f" ({'; '.join(self.notes)})"
        return {
            "case": self.name,
            "injected": self.injected,
            "deposits": counts,
            "double": sum(1 for n in counts if n > 1),
            "lost": lost,
            "stranded": len(stranded),
            "crashed": self.crashed,
            "final": final,
        }


def _expected_state(source, status):
    if source == "DILIFAC":
        return "error" if status == "REJETE" else "sent"
    return CHORUS_SUMMARY.get(status, "integrated")


def wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    raise TimeoutError(f"timed out waiting for {what}")
