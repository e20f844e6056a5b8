"""Pacing from Python: the REQUESTS/SECONDS syntax is the core's (its bounds and message, as in every face), and
the credential's budget belongs to the process: a child of fork() starts one of its own."""

import os
import signal

import pytest

import cfcerts
from conftest import TOKEN

SERVICE_KEY = "v1.0-cfcerts-emulator-service-key"
# The core's one message for a pacing that is not "off" or REQUESTS/SECONDS within bounds.
PACING_RULE = 'pacing must be "off" or REQUESTS/SECONDS with 1 to 1000000000 requests per 1 to 86400 seconds'


@pytest.mark.parametrize("bad", ["0/10", "5/86401", "+5/10", "\u0665/10", "5/ 10", "sometimes", (0, 10),
                                  (5, 86401), (-1, 5), (10**30, 5)])
def test_pacing_refused_with_the_core_message(emulator, bad):
    with pytest.raises(cfcerts.InvalidArgument) as refused:
        cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url, pacing=bad)
    assert PACING_RULE in str(refused.value)


@pytest.mark.parametrize("good", ["off", "1000000000/86400", (1, 1)])
def test_pacing_accepted(emulator, zone, good):
    with cfcerts.Client(api_token=TOKEN, base_url=emulator.base_url, pacing=good) as client:
        assert client.client_certificates.list_page(zone).result == ()


def test_a_child_of_fork_has_a_budget_of_its_own(emulator, zone):
    """The parent's budget is spent (the server's headers say so, for 60 s); the child's is its own. The user
    service key, which no other test uses, keeps this spent budget away from the other tests' calls."""
    client = cfcerts.Client(user_service_key=SERVICE_KEY, base_url=emulator.base_url, max_retries=0, total_timeout=10)
    emulator.fault(kind="rate_limit", method="GET", retry_after=60,
                   headers={"Ratelimit": '"default";r=0;t=60'})
    with pytest.raises(cfcerts.RateLimited):
        client.client_certificates.list_page(zone)
    sent = emulator.request_count(zone)
    with pytest.raises(cfcerts.RateLimited):
        client.client_certificates.list_page(zone)
    assert emulator.request_count(zone) == sent  # refused by the parent's budget, unsent

    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.alarm(20)
            code = 0 if client.client_certificates.list_page(zone).result == () else 2
        except BaseException as error:  # the child must exit, never return into pytest
            os.write(2, f"child failed: {error!r}\n".encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert emulator.request_count(zone) == sent + 1
    client.close()
