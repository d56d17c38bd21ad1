"""Send invoices one after the other through a running demo, as a browser does, and watch
the Odoo server: its PID, its log, the memory of its workers and validation workers.

    python3 tools/demo_sends.py --port 8069 --count 10 --log .run/demo/odoo.log

Every request goes through Odoo's web client routes (``/web/dataset/call_kw`` and
``/web/dataset/call_button``) with the admin's session, alternating the two demo companies
(Librairie du Marché through Dilifac, Éditions du Port through the Chorus Pro API). Not a
test: it prints what it saw and exits non-zero when the server restarted, logged a memory
limit or a traceback, or an invoice was not sent.
"""

import argparse
import datetime
import itertools
import json
import os
import re
import sys
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path


class WebClient:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.ids = itertools.count(1)

    def post(self, path, params):
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "call", "params": params, "id": next(self.ids)}
        ).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=300) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            data = reply["error"].get("data") or {}
            raise RuntimeError(data.get("message") or reply["error"].get("message"))
        return reply["result"]

    def login(self, db, login, password):
        return self.post(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}
        )

    def call(self, model, method, *args, context=None, **kwargs):
        kwargs["context"] = context or {}
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def first(self, model, domain, context):
        """The id of the first record of ``model`` matching ``domain`` (one must exist)."""
        return self.call(model, "search", domain, limit=1, context=context)[0]

    def button(self, model, method, ids, context):
        return self.post(
            "/web/dataset/call_button",
            {"model": model, "method": method, "args": [ids], "kwargs": {"context": context}},
        )


def proc_status(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def cmdline(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def children(pid):
    tasks = Path(f"/proc/{pid}/task")
    result = []
    for task in tasks.iterdir():
        text = (task / "children").read_text().split()
        result += [int(child) for child in text]
    return result


def memory_report(master):
    """[(role, pid, rss MiB, vms MiB)] for the Odoo master, its workers and validators."""
    rows = []

    def row(role, pid):
        status = proc_status(pid)
        rows.append(
            (
                role,
                pid,
                int(status["VmRSS"].split()[0]) // 1024,
                int(status["VmSize"].split()[0]) // 1024,
            )
        )

    row("odoo master", master)
    for pid in children(master):
        line = cmdline(pid)
        role = "odoo gevent" if " gevent" in line else "odoo worker"
        row(role, pid)
        for grandchild in children(pid):
            if "--serve" in cmdline(grandchild):
                row("  validator", grandchild)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8069)))
    parser.add_argument("--db", default="cpd_demo")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--log", type=Path, required=True, help="the Odoo server's log file")
    parser.add_argument("--pid", type=int, help="the Odoo server's PID, to watch")
    parser.add_argument(
        "--with-crons", action="store_true", help="make Chorus Pro's crons due every 10 sends"
    )
    args = parser.parse_args()

    client = WebClient(f"http://127.0.0.1:{args.port}")
    session = client.login(args.db, "admin", "admin")
    print(f"logged in as {session['username']} (lang {session['user_context']['lang']})")
    master = args.pid
    log_start = args.log.stat().st_size

    companies = client.call(
        "res.company",
        "search_read",
        [["name", "in", ["Librairie du Marché", "Éditions du Port"]]],
        fields=["name", "chorus_transport"],
    )
    plan = []
    for company in companies:
        context = {"allowed_company_ids": [company["id"]], "lang": "fr_FR", "tz": "Europe/Paris"}
        partner = client.first("res.partner", [["name", "=", "Commune de Saint-Libre"]], context)
        product = client.first("product.product", [["default_code", "=", "LIV-POCHE"]], context)
        plan.append((company, context, partner, product))

    crons = client.call("ir.cron", "search", [["cron_name", "ilike", "Chorus Pro"]])
    failures = 0
    today = datetime.date.today().isoformat()
    for number in range(args.count):
        company, context, partner, product = plan[number % len(plan)]
        if args.with_crons and number % 10 == 0:
            # The cron worker runs Chorus Pro's scheduled actions while the HTTP workers
            # send: two processes on the same invoices and customers.
            now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
            for cron in crons:
                try:
                    client.call("ir.cron", "write", [cron], {"nextcall": now})
                except RuntimeError:
                    pass  # running right now: that is what we want
        move_id = client.call(
            "account.move",
            "create",
            {
                "move_type": "out_invoice",
                "partner_id": partner,
                "invoice_date": today,
                "buyer_reference": "MEDIATHEQUE",
                "invoice_line_ids": [[0, 0, {"product_id": product, "quantity": 1 + number}]],
            },
            context=context,
        )
        client.button("account.move", "action_post", [move_id], context)
        try:
            client.button("account.move", "action_chorus_send", [move_id], context)
        except RuntimeError as error:
            failures += 1
            print(f"  {number + 1:3} {company['name']}: NOT SENT: {error}")
            continue
        [move] = client.call(
            "account.move", "read", [move_id], ["name", "chorus_state"], context=context
        )
        if move["chorus_state"] != "sent":
            failures += 1
        print(
            f"  {number + 1:3} {company['name'][:20]:20} {move['name']:18} {move['chorus_state']}"
        )
    for company, context, _partner, _product in plan:
        client.button("account.move", "action_chorus_interface", [], context)
        print(f"  Interface Chorus: {company['name']}")

    log = args.log.read_bytes()[log_start:].decode("utf-8", "replace")
    memory_lines = [line for line in log.splitlines() if re.search("memory limit", line, re.I)]
    tracebacks = log.count("Traceback (most recent call last)")
    # A reload re-executes Odoo in the same PID: the master's start banner tells.
    pid = str(master) if master else r"\d+"
    banner = re.compile(r"^\S+ \S+ " + pid + r" INFO \S+ odoo: Odoo version", re.M)
    restarts = len(banner.findall(log))
    print(
        f"log since start: {len(memory_lines)} memory-limit lines, {tracebacks} tracebacks, "
        f"{restarts} restarts"
    )
    for line in memory_lines[:5]:
        print("   ", line)
    errors = [line for line in log.splitlines() if " ERROR " in line]
    print(f"log since start: {len(errors)} ERROR lines")
    for line in errors[:10]:
        print("   ", line[:160])
    status = 0 if not (failures or memory_lines or tracebacks or restarts or errors) else 1
    if master:
        alive = Path(f"/proc/{master}").exists()
        print(f"Odoo server PID {master}: {'still running' if alive else 'GONE'}")
        if alive:
            print(f"{'process':14} {'pid':>7} {'RSS MiB':>8} {'VMS MiB':>8}")
            for role, pid, rss, vms in memory_report(master):
                print(f"{role:14} {pid:7} {rss:8} {vms:8}")
        else:
            status = 1
    print(f"{args.count - failures} of {args.count} invoices sent")
    return status


if __name__ == "__main__":
    sys.exit(main())
