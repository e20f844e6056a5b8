"""make bench: Cloudflare's official Python SDK revoking or creating many certificates, as a user would script it:
a plain loop, or a pool of 8 threads. Usage: official_sdk_bulk.py revoke|create loop|threads ZONE FILE
(FILE: one certificate id a line, or the folder of *.csr files). Prints "ok failed"."""
import concurrent.futures
import os
import sys

import cloudflare

operation, mode, zone, source = sys.argv[1:5]
client = cloudflare.Cloudflare(api_token=os.environ["CLOUDFLARE_API_TOKEN"], base_url=os.environ["CLOUDFLARE_BASE_URL"])

if operation == "revoke":
    work = open(source).read().split()
else:
    work = [open(os.path.join(source, name)).read() for name in sorted(os.listdir(source)) if name.endswith(".csr")]


def one(item):
    try:
        if operation == "revoke":
            client.client_certificates.delete(item, zone_id=zone)
        else:
            client.client_certificates.create(zone_id=zone, csr=item, validity_days=30)
        return True
    except cloudflare.APIError:
        return False


if mode == "loop":
    results = [one(item) for item in work]
else:
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, work))
print(sum(results), len(results) - sum(results))
