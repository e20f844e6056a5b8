"""``client.certificate_authorities.hostname_associations`` under the official SDK's names, sync and async."""

import asyncio

import pytest

import cfcerts
from conftest import TOKEN

BYO = "b2134436-2555-4acf-be5b-26c48136575e"


def test_get_update_add_remove(client, zone):
    associations = client.certificate_authorities.hostname_associations
    assert associations.get(zone_id=zone) == cfcerts.HostnameAssociation(hostnames=())
    assert associations.update(zone_id=zone, hostnames=["a.example.com", "b.example.com"]).hostnames == (
        "a.example.com", "b.example.com")
    assert associations.update(zone_id=zone, hostnames=["c.example.com"]).hostnames == ("c.example.com",)
    assert associations.add(zone_id=zone, hostnames=["C.example.com", "d.example.com"]).hostnames == (
        "c.example.com", "d.example.com")
    assert associations.remove(zone_id=zone, hostnames=["c.EXAMPLE.com"]).hostnames == ("d.example.com",)
    assert associations.update(zone_id=zone, hostnames=[]).hostnames == ()
    assert associations.get(zone_id=zone).hostnames == ()


def test_managed_and_byo_lists_stay_apart(client, zone):
    associations = client.certificate_authorities.hostname_associations
    associations.update(zone_id=zone, hostnames=["managed.example.com"])
    associations.update(zone_id=zone, hostnames=["byo.example.com"], mtls_certificate_id=BYO)
    assert associations.get(zone_id=zone).hostnames == ("managed.example.com",)
    assert associations.get(zone_id=zone, mtls_certificate_id=BYO).hostnames == ("byo.example.com",)


@pytest.mark.parametrize("arguments", [
    {"mtls_certificate_id": "short"},
    {"mtls_certificate_id": 36},
    {"hostnames": "a.example.com"},
    {"hostnames": None},
    {"hostnames": 7},
    {"hostnames": ["ok.example.com", None]},
    {"hostnames": ["has space.example.com"]},
    {"hostnames": ["nul\x00.example.com"]},
])
def test_bad_arguments_are_refused_before_any_request(client, emulator, zone, arguments):
    before = emulator.request_count(zone)
    associations = client.certificate_authorities.hostname_associations
    with pytest.raises(cfcerts.InvalidArgument):
        associations.update(zone_id=zone, **{"hostnames": ["a.example.com"], **arguments})
    assert emulator.request_count(zone) == before


def test_async_client(emulator, zone):
    async def main():
        async with cfcerts.AsyncClient(api_token=TOKEN, base_url=emulator.base_url) as client:
            associations = client.certificate_authorities.hostname_associations
            await associations.update(zone_id=zone, hostnames=["a.example.com"])
            added = await associations.add(zone_id=zone, hostnames=["b.example.com"])
            removed = await associations.remove(zone_id=zone, hostnames=["a.example.com"])
            return added.hostnames, removed.hostnames, (await associations.get(zone_id=zone)).hostnames

    assert asyncio.run(main()) == (("a.example.com", "b.example.com"), ("b.example.com",), ("b.example.com",))


def test_the_body_always_carries_hostnames_and_the_id_only_when_given():
    """What goes on the wire, read by a server of the test's own: `[]` is sent (an SDK that drops an empty list
    cannot clear one), and `mtls_certificate_id` only when given, in the body (PUT) or the query (GET)."""
    import http.server
    import json
    import threading

    seen = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            seen.append(("PUT", self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self._answer()

        def do_GET(self):
            seen.append(("GET", self.path, None))
            self._answer()

        def _answer(self):
            body = b'{"success":true,"errors":[],"messages":[],"result":{"hostnames":[]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    zone = "0" * 32
    try:
        with cfcerts.Client(api_token=TOKEN, base_url=f"http://127.0.0.1:{server.server_address[1]}/client/v4",
                            pacing="off") as client:
            associations = client.certificate_authorities.hostname_associations
            associations.update(zone_id=zone, hostnames=[])
            associations.update(zone_id=zone, hostnames=["a.example.com"], mtls_certificate_id=BYO)
            associations.get(zone_id=zone)
            associations.get(zone_id=zone, mtls_certificate_id=BYO)
    finally:
        server.shutdown()
    path = f"/client/v4/zones/{zone}/certificate_authorities/hostname_associations"
    assert seen == [
        ("PUT", path, {"hostnames": []}),
        ("PUT", path, {"hostnames": ["a.example.com"], "mtls_certificate_id": BYO}),
        ("GET", path, None),
        ("GET", f"{path}?mtls_certificate_id={BYO}", None),
    ]
