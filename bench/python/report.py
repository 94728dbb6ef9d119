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

CLIENTS = ["httpx", "httpx+baton", "httpx+baton-sync", "baton-pool", "httpx-noop", "wreq", "pyreqwest"]


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


def main() -> None:
    quick = "--quick" in sys.argv
    n = int(os.environ.get("BENCH_N", 1000 if quick else 5000))
    clients = [c for c in CLIENTS if available(c)]
    missing = [c for c in CLIENTS if c not in clients]
    cases = [("HTTP/2 h2c, 100 B", 100, 1_000_000), ("HTTP/2 h2c, 64 KiB", 65536, 1_000_000), ("churn: keepalive_requests 100, 100 B", 100, 100)]
    print(f"{n} GETs per client and case, {64} concurrent, one process per run; CPU = the client process's user+system time (getrusage) over the timed requests, after its imports and first request")
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}")
    print(f"{'case':<38} {'client':<18} {'req/s':>8} {'CPU µs/req':>11} {'failed':>7} {'vs floor':>9} {'vs wreq':>8}")
    for title, size, keepalive in cases:
        nginx = Nginx(keepalive_requests=keepalive)
        try:
            url = nginx.url(f"/bytes/{size}")
            rows = [one(c, url, n, size, nginx) for c in clients if not (c == "httpx-noop" and keepalive == 100)]
        finally:
            nginx.stop()
        floor = next((r["cpu_us"] for r in rows if r["client"] == "httpx-noop" and "cpu_us" in r), None)
        wreq = next((r for r in rows if r["client"] == "wreq" and "cpu_us" in r), None)
        for r in rows:
            if "error" in r:
                print(f"{title:<38} {r['client']:<18} error: {r['error'][0][:80]}")
                continue
            vs_floor = f"{r['cpu_us'] / floor:.2f}x" if floor and r["client"].startswith("httpx") else ""
            vs_wreq = f"{r['cpu_us'] / wreq['cpu_us']:.2f}x" if wreq else ""
            print(f"{title:<38} {r['client']:<18} {r['req_s']:>8.0f} {r['cpu_us']:>11.1f} {r['failed']:>7} {vs_floor:>9} {vs_wreq:>8}")
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
