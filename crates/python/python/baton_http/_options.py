"""Turning httpx's and httpcore's transport arguments into the core's."""

from __future__ import annotations

import os
import ssl
import typing

from . import _core

__all__ = ["make_client", "timeouts_of"]

DEFAULT_MAX_ATTEMPTS = 4


def _read_pem(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _client_identity(cert: typing.Any) -> typing.Tuple[typing.Optional[bytes], typing.Optional[bytes]]:
    """httpx's ``cert=``: a path to a PEM file holding the certificate (and
    any intermediates) and its key, or ``(certfile, keyfile)``, or
    ``(certfile, keyfile, password)``. Returns the PEM texts (certificate,
    key); the key is None when it is in the certificate's file."""
    if cert is None:
        return None, None
    if isinstance(cert, (str, os.PathLike)):
        return _read_pem(os.fspath(cert)), None
    if isinstance(cert, tuple) and len(cert) in (2, 3):
        if len(cert) == 3 and cert[2]:
            raise ValueError(
                "baton_http does not support encrypted client keys (a password in cert=): "
                "give the key decrypted (for example `openssl pkey -in key.pem -out plain.pem`)"
            )
        key = _read_pem(os.fspath(cert[1])) if cert[1] is not None else None
        return _read_pem(os.fspath(cert[0])), key
    raise TypeError(f"cert= takes a path or a (cert, key[, password]) tuple, not {type(cert).__name__}")


def make_client(
    *,
    verify: typing.Any = True,
    cert: typing.Any = None,
    trust_env: bool = True,
    http1: bool = True,
    http2: bool = False,
    http2_prior_knowledge: bool = False,
    max_connections: typing.Optional[int] = None,
    keepalive_expiry: typing.Optional[float] = None,
    retries: int = 0,
    max_attempts: typing.Optional[int] = None,
    replay_buffer: typing.Optional[int] = None,
    max_connections_per_origin: typing.Optional[int] = None,
    connect_timeout: typing.Optional[float] = None,
) -> "_core.Client":
    """A core client for these options (see the transports' docstrings)."""
    cert_pem, key_pem = _client_identity(cert)
    ca_pem = None
    check = True
    if isinstance(verify, ssl.SSLContext):
        # The context's own CA store cannot be read back; only its choice
        # not to verify carries over. Otherwise the default roots apply.
        check = verify.verify_mode != ssl.CERT_NONE
    elif isinstance(verify, (str, os.PathLike)):
        ca_pem = _read_pem(os.fspath(verify))
    elif not verify:
        check = False
    if check and ca_pem is None and trust_env:
        # As httpx does with trust_env: SSL_CERT_FILE names a CA bundle.
        bundle = os.environ.get("SSL_CERT_FILE")
        if bundle and os.path.isfile(bundle):
            ca_pem = _read_pem(bundle)
    attempts = max_attempts if max_attempts is not None else max(DEFAULT_MAX_ATTEMPTS, retries + 1)
    return _core.Client(
        http1=http1,
        http2=http2,
        http2_prior_knowledge=http2_prior_knowledge,
        verify=check,
        ca_pem=ca_pem,
        cert_pem=cert_pem,
        key_pem=key_pem,
        max_connections_per_origin=max_connections_per_origin or 8,
        max_http1_connections_per_origin=max_connections,
        max_attempts=attempts,
        replay_buffer=replay_buffer,
        connect_timeout=connect_timeout,
        pool_idle_timeout=keepalive_expiry,
    )


def timeouts_of(extensions: typing.Mapping[str, typing.Any]) -> tuple:
    """httpx's and httpcore's ``extensions["timeout"]`` as (connect, read,
    write, pool) seconds, None for no limit."""
    t = extensions.get("timeout")
    if not t:
        return (None, None, None, None)
    return (t.get("connect"), t.get("read"), t.get("write"), t.get("pool"))
