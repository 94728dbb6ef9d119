"""Test fixtures: the baton lab (the fault-injection server of crates/lab),
run as `baton-lab --control` so its ledger can be read, and nginx."""

from __future__ import annotations

import os
import shutil
import subprocess
import typing

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def lab_binary() -> str:
    path = os.environ.get("BATON_LAB_BIN") or os.path.join(ROOT, "target", "debug", "baton-lab")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} is missing: run crates/python/run-tests (it builds the lab)")
    return path


class Lab:
    """A running lab: `url(path)`, and its ledger through `count`,
    `duplicates`, `stats`; `reload()` drains every connection."""

    def __init__(self, scenario: str, *params: str, max_streams: typing.Optional[int] = None, tls: bool = False) -> None:
        args = [lab_binary(), "--listen", "127.0.0.1:0", "--control", "--scenario", scenario, *params]
        if max_streams is not None:
            args += ["--max-concurrent-streams", str(max_streams)]
        if tls:
            args.append("--tls")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.proc.stdout is not None and self.proc.stdin is not None
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "listening", f"lab did not start: {line}"
        self.base = line[1].rstrip("/")
        self.certificate: typing.Optional[str] = None
        if tls:
            cert = self.proc.stdout.readline().split()
            assert cert[0] == "certificate", cert
            self.certificate = cert[1]

    def url(self, path: str) -> str:
        return self.base + path

    def _ask(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def count(self, request_id: str) -> int:
        return int(self._ask(f"count {request_id}"))

    def duplicates(self) -> typing.Dict[str, int]:
        out = {}
        line = self._ask("duplicates")
        while line != "end":
            rid, n = line.split()
            out[rid] = int(n)
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline().strip()
        return out

    def stats(self) -> typing.Dict[str, int]:
        words = self._ask("stats").split()
        return {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}

    def reload(self) -> None:
        assert self._ask("reload") == "ok"

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start_lab() -> typing.Iterator[typing.Callable[..., Lab]]:
    labs: typing.List[Lab] = []

    def start(scenario: str = "normal", *params: str, **kwargs: typing.Any) -> Lab:
        lab = Lab(scenario, *params, **kwargs)
        labs.append(lab)
        return lab

    yield start
    for lab in labs:
        lab.stop()


@pytest.fixture
def lab(start_lab: typing.Callable[..., Lab]) -> Lab:
    return start_lab("normal")


def nginx_binary() -> typing.Optional[str]:
    return shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx") or None
