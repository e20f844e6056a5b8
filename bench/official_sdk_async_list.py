"""make bench: Cloudflare's official Python SDK's AsyncCloudflare listing a zone with ``async for``."""
import asyncio
import os
import sys

import cloudflare


async def main():
    client = cloudflare.AsyncCloudflare(api_token=os.environ["CLOUDFLARE_API_TOKEN"],
                                        base_url=os.environ["CLOUDFLARE_BASE_URL"])
    count = 0
    async for _ in client.client_certificates.list(zone_id=sys.argv[1], per_page=50):
        count += 1
    await client.close()
    return count

count = asyncio.run(main())
if count != int(sys.argv[2]):
    sys.exit("listed %d of %s" % (count, sys.argv[2]))
