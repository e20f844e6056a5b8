"""--pacing reads the core's REQUESTS/SECONDS syntax (its bounds and message), and list --status takes the API's
own `all`."""

import json

# The core's one message for a pacing that is not "off" or REQUESTS/SECONDS within bounds (every face shows it).
PACING_RULE = 'pacing must be "off" or REQUESTS/SECONDS with 1 to 1000000000 requests per 1 to 86400 seconds'


def test_pacing_flag_refuses_with_the_core_message(cli):
    for bad in ("0/10", "5/86401", "+5/10", "5/ 10", "sometimes"):
        refused = cli("list", "--pacing", bad, check_status=2)
        assert PACING_RULE in refused.stderr, (bad, refused.stderr)
    cli("list", "--pacing", "1000000000/86400", check_status=0)


def test_list_status_all_is_every_status(cli, emulator, zone):
    emulator.seed(zone, 3)
    listed = json.loads(cli("list", "--output", "json", check_status=0).stdout)
    cli("revoke", listed[0]["id"], check_status=0)
    every = json.loads(cli("list", "--status", "all", "--output", "json", check_status=0).stdout)
    assert {c["id"] for c in every} == {c["id"] for c in listed}
    assert {c["status"] for c in every if c["id"] == listed[0]["id"]} <= {"pending_revocation", "revoked"}
    paged = json.loads(cli("list", "--all", "--status", "all", "--output", "json", check_status=0).stdout)
    assert [c["id"] for c in paged] == [c["id"] for c in every]
    assert cli("list", "--status", "All").returncode == 64
