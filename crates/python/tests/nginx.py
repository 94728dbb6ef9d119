"""Debian's nginx in a private prefix on 127.0.0.1, as crates/lab/src/nginx.rs
starts it (used by the tests and by bench/python)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import typing

SIZES = (100, 65536)


def binary() -> typing.Optional[str]:
    found = shutil.which("nginx")
    if found:
        return found
    for d in ("/usr/sbin", "/sbin"):
        if os.path.isfile(os.path.join(d, "nginx")):
            return os.path.join(d, "nginx")
    return None


def _version(nginx: str) -> typing.Tuple[int, ...]:
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True)
    text = (out.stderr + out.stdout).split("nginx/")[1].split()[0]
    return tuple(int(p) for p in text.split("."))


class Nginx:
    """nginx serving /bytes/100 and /bytes/65536 over h2c (or HTTP/1.1)."""

    def __init__(
        self,
        keepalive_requests: int = 1_000_000,
        http2: bool = True,
        workers: int = 1,
        tls: typing.Optional[typing.Tuple[str, str]] = None,
        client_ca: typing.Optional[str] = None,
    ) -> None:
        """`tls`: (certificate, key) PEM files, to serve HTTPS (HTTP/2 and
        HTTP/1.1 by ALPN); `client_ca`: with `tls`, a CA file that client
        certificates must chain to (``ssl_verify_client on``)."""
        nginx = binary()
        if nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.nginx = nginx
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.prefix = tempfile.mkdtemp(prefix="baton-py-nginx-")
        os.makedirs(os.path.join(self.prefix, "logs"))
        os.makedirs(os.path.join(self.prefix, "html", "bytes"))
        for size in SIZES:
            with open(os.path.join(self.prefix, "html", "bytes", str(size)), "wb") as f:
                f.write(b"x" * size)
        addr = f"127.0.0.1:{self.port}"
        ssl = " ssl" if tls else ""
        if not http2:
            listen = f"listen {addr}{ssl};"
        elif _version(nginx) >= (1, 25, 1):
            listen = f"listen {addr}{ssl};\n        http2 on;"
        else:
            listen = f"listen {addr}{ssl} http2;"
        if tls:
            listen += f"\n        ssl_certificate {tls[0]};\n        ssl_certificate_key {tls[1]};"
            if client_ca:
                listen += f"\n        ssl_client_certificate {client_ca};\n        ssl_verify_client on;"
        self.scheme = "https" if tls else "http"
        p = self.prefix
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf = os.path.join(p, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(
                f"{user}worker_processes {workers};\ndaemon off;\npid {p}/nginx.pid;\n"
                f"error_log {p}/logs/error.log warn;\nevents {{ worker_connections 4096; }}\n"
                f"http {{\n    access_log off;\n    client_body_temp_path {p}/client_body;\n"
                f"    proxy_temp_path {p}/proxy;\n    fastcgi_temp_path {p}/fastcgi;\n"
                f"    uwsgi_temp_path {p}/uwsgi;\n    scgi_temp_path {p}/scgi;\n"
                f"    keepalive_requests {keepalive_requests};\n    keepalive_timeout 60s;\n"
                f"    server {{\n        {listen}\n        location /bytes/ {{ root {p}/html; }}\n"
                f'        location / {{ return 200 "ok\\n"; }}\n    }}\n}}\n'
            )
        self.proc = subprocess.Popen(
            [nginx, "-p", p, "-c", self.conf, "-e", f"{p}/logs/error.log"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("nginx did not start")
                time.sleep(0.02)

    def url(self, path: str) -> str:
        # The lab's certificates name `localhost` (which is 127.0.0.1 here).
        host = "localhost" if self.scheme == "https" else "127.0.0.1"
        return f"{self.scheme}://{host}:{self.port}{path}"

    def signal(self, what: str) -> None:
        subprocess.run([self.nginx, "-p", self.prefix, "-c", self.conf, "-s", what], check=True, capture_output=True)

    def reload(self) -> None:
        self.signal("reload")

    def worker_cpu_seconds(self) -> float:
        """CPU time of nginx's worker processes so far (children of the master)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.signal("stop")
                self.proc.wait(timeout=5)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)
