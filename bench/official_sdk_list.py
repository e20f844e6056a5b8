"""make bench: Cloudflare's official Python SDK listing a zone (the baseline users would pick instead)."""
import os
import sys

import cloudflare

client = cloudflare.Cloudflare(api_token=os.environ["CLOUDFLARE_API_TOKEN"], base_url=os.environ["CLOUDFLARE_BASE_URL"])
count = sum(1 for _ in client.client_certificates.list(zone_id=sys.argv[1], per_page=50))
if count != int(sys.argv[2]):
    sys.exit("listed %d of %s" % (count, sys.argv[2]))
