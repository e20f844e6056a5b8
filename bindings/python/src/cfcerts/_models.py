"""Certificates and pages as immutable, typed objects, built from the API's own JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

ACTIVE = "active"
PENDING_REVOCATION = "pending_revocation"
REVOKED = "revoked"
PENDING_REACTIVATION = "pending_reactivation"


def _date(text: Any) -> Optional[datetime]:
    """A date as an aware datetime in UTC (a date without an offset is taken as UTC, as the API's dates are);
    None when absent or unreadable (the text stays in ``raw``)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class CertificateAuthority:
    id: str
    name: str


@dataclass(frozen=True)
class ClientCertificate:
    """An API Shield mTLS client certificate: every field of the API, dates as ``datetime`` (UTC), and ``raw``,
    the object as the server sent it (fields this version does not know included)."""

    id: str
    certificate: str = field(repr=False)
    certificate_authority: CertificateAuthority
    common_name: str
    country: str
    csr: str = field(repr=False)
    expires_on: Optional[datetime]
    fingerprint_sha256: str
    issued_on: Optional[datetime]
    location: str
    organization: str
    organizational_unit: str
    serial_number: str
    signature: str
    ski: str
    state: str
    #: ``active``, ``pending_revocation``, ``revoked`` or ``pending_reactivation`` (or a value added later).
    status: str
    validity_days: Optional[int]
    raw: Mapping[str, Any] = field(compare=False, repr=False, hash=False)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "ClientCertificate":
        authority = raw.get("certificate_authority")
        authority = authority if isinstance(authority, dict) else {}
        days = raw.get("validity_days")
        return cls(
            id=_text(raw, "id"),
            certificate=_text(raw, "certificate"),
            certificate_authority=CertificateAuthority(id=_text(authority, "id"), name=_text(authority, "name")),
            common_name=_text(raw, "common_name"),
            country=_text(raw, "country"),
            csr=_text(raw, "csr"),
            expires_on=_date(raw.get("expires_on")),
            fingerprint_sha256=_text(raw, "fingerprint_sha256"),
            issued_on=_date(raw.get("issued_on")),
            location=_text(raw, "location"),
            organization=_text(raw, "organization"),
            organizational_unit=_text(raw, "organizational_unit"),
            serial_number=_text(raw, "serial_number"),
            signature=_text(raw, "signature"),
            ski=_text(raw, "ski"),
            state=_text(raw, "state"),
            status=_text(raw, "status"),
            validity_days=days if isinstance(days, int) and not isinstance(days, bool) else None,
            raw=raw,
        )


@dataclass(frozen=True)
class ResultInfo:
    page: Optional[int]
    per_page: Optional[int]
    count: Optional[int]
    total_count: Optional[int]
    total_pages: Optional[int]


@dataclass(frozen=True)
class CertificatePage:
    """One page of a listing: ``result`` (the certificates) and ``result_info``, as the API names them."""

    result: tuple[ClientCertificate, ...]
    result_info: Optional[ResultInfo]

    def __iter__(self):
        return iter(self.result)

    def __len__(self) -> int:
        return len(self.result)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "CertificatePage":
        info = raw.get("result_info")
        result_info = None
        if isinstance(info, dict):
            def number(key: str) -> Optional[int]:
                value = info.get(key)
                return value if isinstance(value, int) and not isinstance(value, bool) else None
            result_info = ResultInfo(page=number("page"), per_page=number("per_page"), count=number("count"),
                                     total_count=number("total_count"), total_pages=number("total_pages"))
        return cls(result=tuple(ClientCertificate.from_json(item) for item in raw.get("result") or []),
                   result_info=result_info)


@dataclass(frozen=True)
class GeneratedCSR:
    """A new private key (PEM, keep it secret) and its certificate signing request (PEM)."""

    private_key_pem: str = field(repr=False)
    csr_pem: str
    key_type: str


@dataclass(frozen=True)
class CSRSubject:
    common_name: str
    organization: Optional[str] = None
    organizational_unit: Optional[str] = None
    country: Optional[str] = None
    state: Optional[str] = None
    location: Optional[str] = None


@dataclass(frozen=True)
class CSRInfo:
    """What a PEM CSR holds: its subject, its key type (``p256``, ``rsa2048``, ...) and whether its signature holds."""

    subject: CSRSubject
    key_type: str
    signature_valid: bool
