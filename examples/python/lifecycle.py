"""A zone's client certificates with the cfcerts Python binding: list them as a table, then the lifecycle of a
new one (key and CSR generated here, created, read, revoked, reactivated).

Usage: CLOUDFLARE_API_TOKEN=... [CLOUDFLARE_BASE_URL=...] python3 lifecycle.py ZONE_ID
"""

import sys

import cfcerts


def table(client: cfcerts.Client, zone_id: str) -> None:
    print(f"{'ID':32}  {'STATUS':20}  {'COMMON NAME':24}  EXPIRES")
    count = 0
    for certificate in client.client_certificates.list(zone_id):
        expires = certificate.expires_on.date().isoformat() if certificate.expires_on else "?"
        print(f"{certificate.id:32}  {certificate.status:20}  {certificate.common_name:24}  {expires}")
        count += 1
    print(f"{count} certificate(s)")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    zone_id = sys.argv[1]
    try:
        with cfcerts.Client() as client:
            table(client, zone_id)
            generated = cfcerts.generate_csr("python.example.com", organization="Example Inc", key_type="p256")
            created = client.client_certificates.create(zone_id=zone_id, csr=generated.csr_pem, validity_days=365)
            print(f"created     {created.id}  CN={created.common_name}  expires {created.expires_on:%Y-%m-%d}")
            fetched = client.client_certificates.get(created.id, zone_id=zone_id)
            print(f"get         {fetched.id}  status={fetched.status}  serial {fetched.serial_number}")
            revoked = client.client_certificates.revoke(created.id, zone_id=zone_id)
            print(f"revoked     status={revoked.status}")
            reactivated = client.client_certificates.reactivate(created.id, zone_id=zone_id)
            print(f"reactivated status={reactivated.status}")
    except cfcerts.Error as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
