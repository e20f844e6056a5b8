"""make bench: the emulator's test controls (/__emulator/...), shared by run.py and fleet.py."""
import json
import urllib.request


def control(root, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(root + "/__emulator" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read() or b"null")
