"""cfcerts: manage Cloudflare API Shield mTLS client certificates, over libcfcerts.

    import cfcerts
    with cfcerts.Client() as client:                      # credentials from CLOUDFLARE_API_TOKEN, ...
        for certificate in client.client_certificates.list(zone_id="..."):
            print(certificate.id, certificate.status, certificate.expires_on)
"""

from ._associations import CertificateAuthorities, HostnameAssociation, HostnameAssociations
from ._async import (AsyncBulkRun, AsyncCertificateAuthorities, AsyncCertificateIterator, AsyncClient,
                     AsyncClientCertificates, AsyncFleet, AsyncFleetApply, AsyncHostnameAssociations)
from ._bulk import BulkOutcome, BulkRun, BulkSummary
from ._client import CertificateIterator, Client, ClientCertificates
from ._csr import generate_csr, inspect_csr
from ._fleet import Fleet, FleetApply, FleetPlan, FleetReport, FleetStep, FleetStepResult
from ._errors import (APIError, Authentication, Cancelled, Connection, Decode, Error, InUse, InvalidArgument,
                      NotFound, OutOfMemory, PermissionDenied, RateLimited, Timeout)
from ._library import LibraryNotFound, library
from ._models import (ACTIVE, PENDING_REACTIVATION, PENDING_REVOCATION, REVOKED, CertificateAuthority,
                      CertificatePage, ClientCertificate, CSRInfo, CSRSubject, GeneratedCSR, ResultInfo)
from ._pkcs12 import make_pkcs12

__version__ = "0.5.0"


def library_version() -> str:
    """The loaded libcfcerts's version, e.g. ``"0.5.0"``."""
    return library().cfcerts_version().decode("ascii")


__all__ = [
    "Client", "ClientCertificates", "Fleet", "FleetApply", "FleetPlan", "FleetReport", "FleetStep", "FleetStepResult", "CertificateIterator", "AsyncClient", "AsyncClientCertificates",
    "AsyncCertificateIterator", "AsyncBulkRun", "AsyncFleet", "AsyncFleetApply", "CertificateAuthorities", "HostnameAssociations",
    "HostnameAssociation", "AsyncCertificateAuthorities", "AsyncHostnameAssociations", "Cancelled", "BulkRun", "BulkOutcome", "BulkSummary", "generate_csr", "inspect_csr", "make_pkcs12", "library_version",
    "Error", "APIError", "InvalidArgument", "NotFound", "Authentication", "PermissionDenied", "RateLimited",
    "Timeout", "Connection", "Decode", "OutOfMemory", "InUse", "LibraryNotFound",
    "ClientCertificate", "CertificateAuthority", "CertificatePage", "ResultInfo", "GeneratedCSR", "CSRSubject",
    "CSRInfo", "ACTIVE", "PENDING_REVOCATION", "REVOKED", "PENDING_REACTIVATION",
]
