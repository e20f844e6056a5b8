"""Device bundles: PKCS#12 files made locally (no network)."""

from __future__ import annotations

import ctypes
from typing import Iterable, Optional, Union

from . import _arguments as arguments
from ._errors import InvalidArgument, from_last_error
from ._library import library


def make_pkcs12(certificate_pem: str, private_key_pem: str, *, password: str,
                chain_pems: Union[str, Iterable[str]] = (), profile: str = "modern",
                friendly_name: Optional[str] = None) -> bytes:
    """A PKCS#12 file (``.p12``, DER bytes) holding ``certificate_pem``, its private key and the CA certificates of
    ``chain_pems`` (one PEM string, or several; each may hold several certificates), encrypted under ``password``.

    ``profile``: ``"modern"`` (PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, an HMAC-SHA256 MAC: OpenSSL 3's
    default) or ``"legacy"`` (PBE-SHA1-3DES, an HMAC-SHA1 MAC: for older Android, iOS and Windows keystores).
    ``friendly_name``: the name keystores show. ``InvalidArgument`` for a key that is not the certificate's, an
    empty password, and anything else refused; its message never holds the password."""
    if isinstance(chain_pems, str):
        chain_pems = [chain_pems]
    try:
        chain = list(chain_pems)
    except TypeError:
        raise InvalidArgument(f"chain_pems must be a PEM string or a list of them, not {type(chain_pems).__name__}") from None
    for index, pem in enumerate(chain):
        arguments.text(pem, f"chain_pems[{index}]")
    params = arguments.json_object({
        "certificate_pem": arguments.text(certificate_pem, "certificate_pem").decode("utf-8"),
        "private_key_pem": arguments.text(private_key_pem, "private_key_pem").decode("utf-8"),
        "chain_pems": chain, "profile": profile, "friendly_name": friendly_name,
    }, "make_pkcs12")
    secret = arguments.text(password, "password")
    lib = library()
    out = ctypes.c_void_p()
    length = ctypes.c_size_t()
    code = lib.cfcerts_pkcs12_create(ctypes.byref(out), ctypes.byref(length), params, secret)
    if code != 0:
        raise from_last_error(lib, code)
    try:
        return ctypes.string_at(out.value, length.value)
    finally:
        lib.cfcerts_bytes_free(out.value)
