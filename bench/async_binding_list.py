"""make bench: the cfcerts AsyncClient listing a zone with ``async for`` (the same work as official_sdk_async_list.py)."""
import asyncio
import sys

import cfcerts


async def main():
    async with cfcerts.AsyncClient() as client:
        return sum([1 async for _ in client.client_certificates.list(sys.argv[1], per_page=50)])

count = asyncio.run(main())
if count != int(sys.argv[2]):
    sys.exit("listed %d of %s" % (count, sys.argv[2]))
