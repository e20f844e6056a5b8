"""Keys and certificate signing requests, made and read locally (no network)."""

from __future__ import annotations

import json
from typing import Optional

from . import _arguments as arguments
from ._errors import from_last_error
from ._library import call_for_string, library
from ._models import CSRInfo, CSRSubject, GeneratedCSR


def generate_csr(common_name: str, *, organization: Optional[str] = None, organizational_unit: Optional[str] = None,
                 country: Optional[str] = None, state: Optional[str] = None, location: Optional[str] = None,
                 key_type: str = "p256") -> GeneratedCSR:
    """A new private key (``key_type`` ``"p256"`` or ``"rsa2048"``) and a CSR with this subject."""
    subject = arguments.json_object({
        "common_name": common_name, "organization": organization, "organizational_unit": organizational_unit,
        "country": country, "state": state, "location": location, "key_type": key_type,
    }, "generate_csr")
    lib = library()
    code, text = call_for_string(lib.cfcerts_csr_generate, subject)
    if code != 0:
        raise from_last_error(lib, code)
    generated = json.loads(text)
    return GeneratedCSR(private_key_pem=generated["private_key_pem"], csr_pem=generated["csr_pem"],
                        key_type=generated["key_type"])


def inspect_csr(pem: str) -> CSRInfo:
    """What a PEM CSR holds; ``InvalidArgument`` when it is not one."""
    lib = library()
    code, text = call_for_string(lib.cfcerts_csr_inspect, arguments.text(pem, "pem"))
    if code != 0:
        raise from_last_error(lib, code)
    inspected = json.loads(text)
    subject = inspected.get("subject") or {}
    return CSRInfo(
        subject=CSRSubject(**{key: subject.get(key) for key in
                              ("organization", "organizational_unit", "country", "state", "location")},
                           common_name=subject.get("common_name") or ""),
        key_type=inspected.get("key_type", "unknown"),
        signature_valid=bool(inspected.get("signature_valid")),
    )
