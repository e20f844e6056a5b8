"""``client.certificate_authorities.hostname_associations``: the hostnames on which Cloudflare's edge asks clients
for a certificate of a CA, under the official Python SDK's names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional, Tuple

from . import _arguments as arguments
from ._errors import InvalidArgument

if TYPE_CHECKING:
    from ._client import Client


@dataclass(frozen=True)
class HostnameAssociation:
    """A CA's hostnames, as the API answered them."""

    hostnames: Tuple[str, ...]


class CertificateAuthorities:
    """``/zones/{zone_id}/certificate_authorities``."""

    def __init__(self, client: "Client") -> None:
        self.hostname_associations = HostnameAssociations(client)


class HostnameAssociations:
    """``/zones/{zone_id}/certificate_authorities/hostname_associations``. ``mtls_certificate_id`` None is the
    Cloudflare-managed CA (the CA of every certificate ``client_certificates.create`` issues); otherwise the
    36-character id of a CA uploaded to mTLS certificate management. Each CA has one list per zone."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def get(self, *, zone_id: str, mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        """The CA's hostnames."""
        text = self._client._call("cfcerts_hostname_associations_get", arguments.text(zone_id, "zone_id"),
                                  arguments.optional_text(mtls_certificate_id, "mtls_certificate_id"))
        return _association(text)

    def update(self, *, zone_id: str, hostnames: Iterable[str],
               mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        """Replaces the CA's whole list with ``hostnames`` (``[]`` removes them all); the list answered."""
        return self._change("cfcerts_hostname_associations_update", zone_id, hostnames, mtls_certificate_id)

    def add(self, *, zone_id: str, hostnames: Iterable[str],
            mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        """Adds ``hostnames`` (one already there in any letter case is not added twice): reads the list, then
        replaces it with the union. The list answered."""
        return self._change("cfcerts_hostname_associations_add", zone_id, hostnames, mtls_certificate_id)

    def remove(self, *, zone_id: str, hostnames: Iterable[str],
               mtls_certificate_id: Optional[str] = None) -> HostnameAssociation:
        """Removes ``hostnames`` (compared without letter case), as ``add`` does. The list answered."""
        return self._change("cfcerts_hostname_associations_remove", zone_id, hostnames, mtls_certificate_id)

    def _change(self, function_name: str, zone_id: str, hostnames: Iterable[str],
                mtls_certificate_id: Optional[str]) -> HostnameAssociation:
        if isinstance(hostnames, (str, bytes)) or not hasattr(hostnames, "__iter__"):
            raise InvalidArgument("hostnames must be a list of hostnames ([] for none)")
        names = [arguments.text(name, "hostnames[]").decode("utf-8") for name in hostnames]
        params = arguments.json_object({"hostnames": names, "mtls_certificate_id": mtls_certificate_id},
                                       "hostname_associations")
        text = self._client._call(function_name, arguments.text(zone_id, "zone_id"), params)
        return _association(text)


def _association(text: str) -> HostnameAssociation:
    return HostnameAssociation(hostnames=tuple(json.loads(text).get("hostnames") or ()))
