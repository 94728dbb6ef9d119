"""Runs bench.py for every client and case against nginx (started here)
and prints the table with ratios."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "crates", "python", "tests"))
from nginx import Nginx  # noqa: E402

CLIENTS = ["httpx", "httpx+baton", "httpx+baton-sync", "baton-pool", "httpx-noop", "httpx-noop-headers", "wreq", "pyreqwest"]
NOOPS = ("httpx-noop", "httpx-noop-headers")


def available(name: str) -> bool:
    module = {"wreq": "wreq", "pyreqwest": "pyreqwest"}.get(name)
    if module is None:
        return True
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def one(name: str, url: str, n: int, size: int, nginx: Nginx) -> dict:
    busy0 = nginx.worker_cpu_seconds()
    out = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--one", name, url, str(n), str(size)], capture_output=True, text=True)
    if out.returncode != 0:
        return {"client": name, "error": out.stderr.strip().splitlines()[-1:] or ["?"]}
    row = json.loads(out.stdout)
    row["nginx_cpu_us"] = (nginx.worker_cpu_seconds() - busy0) / n * 1e6
    return row


def median(runs: list) -> dict:
    """The round with the median CPU per request (an error if any failed
    to run), with the spread and the failures of all rounds."""
    bad = [r for r in runs if "error" in r]
    if bad:
        return bad[0]
    runs = sorted(runs, key=lambda r: r["cpu_us"])
    row = dict(runs[len(runs) // 2])
    row["spread"] = (runs[0]["cpu_us"], runs[-1]["cpu_us"])
    # Every request of every round counts.
    row["failed"] = sum(r["failed"] for r in runs)
    return row


def main() -> None:
    quick = "--quick" in sys.argv
    n = int(os.environ.get("BENCH_N", 1000 if quick else 5000))
    rounds = int(os.environ.get("BENCH_ROUNDS", 1 if quick else 3))
    clients = [c for c in CLIENTS if available(c)]
    missing = [c for c in CLIENTS if c not in clients]
    cases = [("HTTP/2 h2c, 100 B", 100, 1_000_000), ("HTTP/2 h2c, 64 KiB", 65536, 1_000_000), ("churn: keepalive_requests 100, 100 B", 100, 100)]
    print(f"{n} GETs per client and case, {64} concurrent, one process per run, {rounds} round(s) (each row: the median round by CPU; `spread`: the lowest and highest round; `failed`: all rounds' failures); CPU = the client process's user+system time (getrusage) over the timed requests, after its imports and first request")
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}")
    print(f"{'case':<38} {'client':<18} {'req/s':>8} {'CPU µs/req':>11} {'spread':>13} {'failed':>7} {'vs floor':>9} {'vs wreq':>8}")
    cpu: dict = {}
    for title, size, keepalive in cases:
        nginx = Nginx(keepalive_requests=keepalive)
        try:
            url = nginx.url(f"/bytes/{size}")
            names = [c for c in clients if not (c in NOOPS and keepalive == 100)]
            runs: dict = {c: [] for c in names}
            # Rounds interleave the clients, so a slow spell of the machine
            # falls on all of them; each row is a client's median round.
            for _ in range(rounds):
                for c in names:
                    runs[c].append(one(c, url, n, size, nginx))
            rows = [median(runs[c]) for c in names]
        finally:
            nginx.stop()
        floor = next((r["cpu_us"] for r in rows if r["client"] == "httpx-noop" and "cpu_us" in r), None)
        wreq = next((r for r in rows if r["client"] == "wreq" and "cpu_us" in r), None)
        for r in rows:
            if "error" in r:
                print(f"{title:<38} {r['client']:<18} error: {r['error'][0][:80]}")
                continue
            cpu[(r["client"], title)] = r["cpu_us"]
            vs_floor = f"{r['cpu_us'] / floor:.2f}x" if floor and r["client"].startswith("httpx") else ""
            vs_wreq = f"{r['cpu_us'] / wreq['cpu_us']:.2f}x" if wreq else ""
            spread = "{:.0f}–{:.0f}".format(*r["spread"])
            print(f"{title:<38} {r['client']:<18} {r['req_s']:>8.0f} {r['cpu_us']:>11.1f} {spread:>13} {r['failed']:>7} {vs_floor:>9} {vs_wreq:>8}")
    # What receiving the 64 KiB body costs each client beyond the 100 B
    # response (the no-op transports hand over one body object again and
    # again, so theirs is ~0): the kernel's receive and one copy into
    # Python are in every real client's figure.
    small, large = cases[0][0], cases[1][0]
    print("\nwhat the 64 KiB body adds, CPU µs per request (64 KiB case minus 100 B case):")
    for c in clients:
        if (c, small) in cpu and (c, large) in cpu:
            print(f"  {c:<18} {cpu[(c, large)] - cpu[(c, small)]:>8.1f}")
    out = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--bridge", str(20000 if not quick else 5000)], capture_output=True, text=True, check=True)
    b = json.loads(out.stdout)
    print("\nasyncio bridge, per await of an op the runtime completes at once:      wall µs   CPU µs")
    for key, what in (
        ("ready", "already complete (fast path)"),
        ("notifier", "baton's bridge, one at a time"),
        ("notifier_64", "baton's bridge, 64 at a time"),
        ("threadsafe", "call_soon_threadsafe, one at a time"),
        ("threadsafe_64", "call_soon_threadsafe, 64 at a time"),
    ):
        wall, cpu = b[key]
        print(f"  {what:<68} {wall:>8.2f} {cpu:>8.2f}")


if __name__ == "__main__":
    main()
