"""Mutual TLS (`cert=`): nginx with ``ssl_verify_client on`` (started here,
private prefix, 127.0.0.1) and a Python TLS server requiring a client
certificate, with the certificates the Rust mTLS tests use (the lab's
`baton-test-pki`). Every outcome is checked against httpx's own transport
on the same server."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import typing

import httpx
import pytest

pytestmark = pytest.mark.filterwarnings("ignore:`cert=...` is deprecated:DeprecationWarning")

import baton_http
from conftest import lab_binary
from nginx import Nginx, binary


@pytest.fixture(scope="module")
def pki() -> typing.Iterator[typing.Dict[str, str]]:
    """The PEM files `baton-test-pki` writes, by name."""
    tool = os.path.join(os.path.dirname(lab_binary()), "baton-test-pki")
    with tempfile.TemporaryDirectory(prefix="baton-py-pki-") as d:
        subprocess.run([tool, d], check=True, timeout=30)
        yield {name[: -len(".pem")] if name.endswith(".pem") else name: os.path.join(d, name) for name in os.listdir(d)}


def _reference(pki: typing.Dict[str, str], cert: typing.Any, **kwargs: typing.Any) -> httpx.HTTPTransport:
    """httpx's own transport trusting the test server. (Its `verify=<path>`
    ignores `cert=`, so the CA goes in through a context.)"""
    return httpx.HTTPTransport(verify=ssl.create_default_context(cafile=pki["server"]), cert=cert, **kwargs)


def _status(client: typing.Any, url: str) -> typing.Tuple[int, bytes]:
    r = client.get(url)
    return r.status_code, r.content


@pytest.mark.skipif(binary() is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_verifying_clients_takes_our_certificate_and_answers_as_to_httpx(pki) -> None:
    nginx = Nginx(tls=(pki["server"], pki["server.key"]), client_ca=pki["client-ca"])
    try:
        url = nginx.url("/bytes/100")
        certs = {
            "identity file": pki["client-identity"],
            "(cert, key)": (pki["client"], pki["client.key"]),
            "(cert, key, None)": (pki["client"], pki["client.key"], None),
            "foreign": pki["foreign-identity"],
            "none": None,
        }
        for name, cert in certs.items():
            with httpx.Client(transport=_reference(pki, cert, http2=True)) as plain:
                expected = _status(plain, url)
            assert (expected[0] == 200) == (name not in ("foreign", "none")), (name, expected)
            for kwargs in ({"http2": True}, {"http1": False, "http2": True}, {}):
                transport = baton_http.HTTPTransport(verify=pki["server"], cert=cert, **kwargs)
                with httpx.Client(transport=transport) as client:
                    for _ in range(2):
                        assert _status(client, url) == expected, (name, kwargs)
                    if expected[0] == 200:
                        assert client.get(url).http_version == ("HTTP/1.1" if not kwargs else "HTTP/2")

            async def via_async(cert: typing.Any = cert) -> typing.Tuple[int, bytes]:
                transport = baton_http.AsyncHTTPTransport(verify=pki["server"], cert=cert, http2=True)
                async with httpx.AsyncClient(transport=transport) as client:
                    r = await client.get(url)
                    return r.status_code, r.content

            assert asyncio.run(via_async()) == expected, name
    finally:
        nginx.stop()


def test_a_key_password_is_a_clear_error(pki) -> None:
    with pytest.raises(ValueError, match="encrypted client keys"):
        baton_http.HTTPTransport(cert=(pki["client"], pki["client.key"], "secret"))
    with pytest.raises(ValueError, match="no private key"):
        baton_http.HTTPTransport(cert=pki["client"])


class _StrictServer:
    """A TLS server on 127.0.0.1 that requires a client certificate from
    the test CA (TLS `version` only) and answers each request with 200; it
    serves one connection at a time, at most `limit` of them."""

    def __init__(self, pki: typing.Dict[str, str], version: ssl.TLSVersion, limit: int = 20) -> None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ctx.maximum_version = version
        ctx.load_cert_chain(pki["server"], pki["server.key"])
        ctx.load_verify_locations(pki["client-ca"])
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.set_alpn_protocols(["http/1.1"])
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.url = f"https://localhost:{self.listener.getsockname()[1]}/"
        self.thread = threading.Thread(target=self._serve, args=(ctx, limit), daemon=True)
        self.thread.start()

    def _serve(self, ctx: ssl.SSLContext, limit: int) -> None:
        for _ in range(limit):
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.settimeout(5)
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            except (OSError, ssl.SSLError):
                conn.close()

    def stop(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["tls1.2", "tls1.3"])
def test_a_rejected_certificate_raises_httpxs_class(pki, version) -> None:
    server = _StrictServer(pki, version)
    try:
        for cert in (pki["foreign-identity"], None, pki["client-identity"]):
            outcomes = []
            for transport in (_reference(pki, cert), baton_http.HTTPTransport(verify=pki["server"], cert=cert)):
                with httpx.Client(transport=transport, timeout=10) as client:
                    try:
                        r = client.get(server.url)
                        outcomes.append(r.status_code)
                    except httpx.HTTPError as e:
                        outcomes.append(type(e).__name__)
            assert outcomes[0] == outcomes[1], (cert, outcomes)
            assert (outcomes[0] == 200) == (cert == pki["client-identity"]), outcomes
    finally:
        server.stop()
