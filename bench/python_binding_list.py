"""make bench: the cfcerts Python binding listing a zone (the same work as official_sdk_list.py)."""
import sys

import cfcerts

with cfcerts.Client() as client:
    count = sum(1 for _ in client.client_certificates.list(sys.argv[1], per_page=50))
if count != int(sys.argv[2]):
    sys.exit("listed %d of %s" % (count, sys.argv[2]))
