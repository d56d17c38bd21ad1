"""Benchmark (not a test): one Chorus Pro flow per invoice, or one zip flow per batch?

Deposits N invoices to the local Chorus Pro sandbox over real HTTP both ways, then polls
until every invoice has its Chorus id, and prints the HTTP calls and the time each way
takes. The real Chorus Pro adds minutes of processing per flow, so the number of flows to
follow matters more than the milliseconds measured here.

    python bench/bench_deposit.py [-n 100]
"""

import argparse
import io
import sys
import time
import types
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests_unit")]
_pkg = types.ModuleType("chorus_pro_dilifac")
_pkg.__path__ = [str(REPO / "chorus_pro_dilifac")]
sys.modules.setdefault("chorus_pro_dilifac", _pkg)

from chorus_documents import ubl_invoice  # noqa: E402

from chorus_pro_dilifac.lib.chorus_api import ChorusProClient  # noqa: E402
from sandboxes.chorus_pro import ChorusProSandbox  # noqa: E402

SYNTAX = "IN_DP_E1_UBL_INVOICE"


def run(sandbox, client, documents, batched):
    sandbox.platform.reset()
    calls_before = len(sandbox.request_log)
    start = time.perf_counter()
    if batched:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as flow:
            for name, content in documents:
                flow.writestr(name, content)
        flows = [client.deposit_flow("batch.zip", archive.getvalue(), SYNTAX)["flow_number"]]
    else:
        flows = [
            client.deposit_flow(name, content, SYNTAX)["flow_number"] for name, content in documents
        ]
    deposit = time.perf_counter() - start
    sandbox.process_all()
    found = 0
    for flow_number in flows:
        client.get_flow_report(flow_number)
        found += len(client.search_supplier_invoices(flow_number=flow_number))
    total = time.perf_counter() - start
    assert found == len(documents), (found, len(documents))
    return len(flows), len(sandbox.request_log) - calls_before, deposit, total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=100)
    count = parser.parse_args().n
    documents = [(f"UBL_BENCH-{i:05d}.xml", ubl_invoice(f"BENCH-{i:05d}")) for i in range(count)]
    with ChorusProSandbox() as sandbox:
        credentials = sandbox.credentials
        client = ChorusProClient(
            credentials["client_id"],
            credentials["client_secret"],
            credentials["login"],
            credentials["password"],
            oauth_url=sandbox.url,
            api_url=sandbox.url,
        )
        client.health_check()
        print(f"{count} invoices deposited then followed to their Chorus id (local sandbox)")
        for label, batched in (("one flow per invoice", False), ("one zip flow", True)):
            flows, calls, deposit, total = run(sandbox, client, documents, batched)
            print(
                f"  {label:22} {flows:4d} flow(s) {calls:5d} HTTP calls "
                f"deposit {deposit:6.2f} s  total {total:6.2f} s"
            )


if __name__ == "__main__":
    main()
