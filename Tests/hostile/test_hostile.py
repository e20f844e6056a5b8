"""libcfcerts against a server that misbehaves: every call ends with its documented code within its bound,
and the process lives on (a crash would end this pytest run)."""
import json
import time
from email.utils import formatdate

import pytest

from conftest import ZONE
from hostile_server import (certificate, drip, drop, envelope, head_then_stall, raw, respond)

TIMEOUT_MS = 2000
# Scheduling slack on a shared, noisy machine; a hang is tens of seconds.
SLACK = 3.0
ITEM = "00000000-0000-4000-8000-000000000001"


def get(client):
    return client.call("cfcerts_get", ZONE, ITEM)


# -- Retry-After ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{"Retry-After": "1e16"}, {"Retry-After": "99999999999999999999"},
                                     {"Retry-After-Ms": "1e19"}, {"Retry-After": "1e308"},
                                     {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}])
def test_absurd_retry_after_ends_as_rate_limited(server, client_for, library, headers):
    server.then(respond(429, envelope(None, success=False, errors=[{"code": 971, "message": "slow down"}]), headers))
    code, _, elapsed = get(client_for(request_timeout_ms=TIMEOUT_MS))
    assert code == "ERATELIMIT"
    assert library.last_error()["retry_after_ms"] == 86_400_000  # clamped to a day, never overflowed
    assert len(server.requests) == 1 and elapsed < SLACK


@pytest.mark.parametrize("value", ["-5", "abc", "", "nan", "inf", "Sun, 99 Foo 1994 25:61:61 GMT"])
def test_malformed_retry_after_falls_back_to_backoff(server, client_for, value):
    server.then(respond(503, b"{}", {"Retry-After": value}), respond(200, envelope(certificate(ITEM))))
    code, result, _ = get(client_for(request_timeout_ms=TIMEOUT_MS))
    assert code == "OK" and result["id"] == ITEM
    assert len(server.requests) == 2


def test_http_date_retry_after_is_waited_for(server, client_for):
    server.then(respond(503, b"{}", {"Retry-After": formatdate(time.time() + 2, usegmt=True)}),
                respond(200, envelope(certificate(ITEM))))
    code, _, elapsed = get(client_for(request_timeout_ms=TIMEOUT_MS))
    assert code == "OK" and elapsed >= 0.9


# -- bodies that never end -----------------------------------------------------------------------------------
@pytest.mark.parametrize("action", [
    head_then_stall(content_length=1000, sent=10, hold=60),        # headers, a little body, then nothing
    head_then_stall(content_length=5000, sent=100, hold=60),       # Content-Length longer than what comes
    drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n" + b" " * 200, 0.05),
    raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", hold=60),   # headers never finish
    raw(b"", hold=60),                                              # not a byte
], ids=["stalled-body", "short-body", "drip", "stalled-headers", "silent"])
def test_stalls_end_at_the_request_timeout(server, client_for, action):
    server.then(action)
    code, _, elapsed = get(client_for(request_timeout_ms=TIMEOUT_MS, max_retries=-1))
    assert code == "ETIMEOUT"
    assert elapsed < TIMEOUT_MS / 1000 + SLACK


def test_total_timeout_bounds_retries_of_stalls(server, client_for):
    server.then(*[head_then_stall(1000, 10, hold=60) for _ in range(5)])
    code, _, elapsed = get(client_for(request_timeout_ms=TIMEOUT_MS, max_retries=5, total_timeout_ms=3000))
    assert code == "ETIMEOUT"
    assert elapsed < 3 + SLACK


# -- listings ------------------------------------------------------------------------------------------------
def page(ids, **info):
    return respond(200, envelope([certificate(i) for i in ids], result_info=info or None))


def ids(start, count):
    return ["00000000-0000-4000-8000-%012d" % n for n in range(start, start + count)]


@pytest.mark.parametrize("with_result_info", [True, False])
def test_listing_without_total_pages_is_not_cut_short(server, client_for, with_result_info):
    info = (lambda n: {"page": n, "per_page": 5, "count": 5}) if with_result_info else (lambda n: {})
    server.then(page(ids(0, 5), **info(1)), page(ids(5, 5), **info(2)), page(ids(10, 5), **info(3)), page([], **info(4)))
    code, items, _ = client_for().iterate('{"per_page": 5}')
    assert code == "ITEROVER"
    assert [item["id"] for item in items] == ids(0, 15)


@pytest.mark.parametrize("prefetch,most_requests", [(0, 3), (4, 7)])
def test_alternating_pages_are_caught(server, client_for, prefetch, most_requests):
    huge = {"page": 1, "per_page": 5, "count": 5, "total_count": 5_000_000, "total_pages": 1_000_000}
    server.then(*[page(ids(0, 5), **huge), page(ids(5, 5), **huge)] * 4)
    code, items, error = client_for().iterate('{"per_page": 5, "prefetch_pages": %d}' % prefetch)
    assert code == "EDECODE" and "again" in error["message"]
    delivered = [item["id"] for item in items]
    # Prefetched requests reach the server in any order, so page 2 may already be A again: never a duplicate.
    assert delivered == ids(0, 10) if prefetch == 0 else delivered in (ids(0, 5), ids(0, 10))
    assert len(server.requests) <= most_requests   # pages 1-3, and at most 4 fetched ahead


def test_a_short_page_under_total_pages_does_not_end_early(server, client_for):
    info = {"per_page": 5, "total_pages": 3, "total_count": 12}
    server.then(page(ids(0, 5), **info), page(ids(5, 2), **info), page(ids(7, 5), **info))
    code, items, _ = client_for().iterate('{"per_page": 5}')
    assert code == "ITEROVER" and len(items) == 12


# -- revoke whose answer is lost ------------------------------------------------------------------------------
def test_lost_revoke_answer_is_reconciled(server, client_for):
    refused = envelope(None, success=False, errors=[{"code": 1010, "message": "only an active certificate can be revoked"}])
    server.then(drop(), respond(400, refused), respond(200, envelope(certificate(ITEM, status="pending_revocation"))))
    code, result, _ = client_for(request_timeout_ms=TIMEOUT_MS).call("cfcerts_revoke", ZONE, ITEM)
    assert code == "OK" and result["status"] == "pending_revocation"
    assert [request["method"] for request in server.requests] == ["DELETE", "DELETE", "GET"]


def test_lost_revoke_answer_on_a_certificate_in_another_state_stays_an_error(server, client_for, library):
    refused = envelope(None, success=False, errors=[{"code": 1010, "message": "only an active certificate can be revoked"}])
    server.then(drop(), respond(400, refused), respond(200, envelope(certificate(ITEM, status="pending_reactivation"))))
    code, _, _ = client_for(request_timeout_ms=TIMEOUT_MS).call("cfcerts_revoke", ZONE, ITEM)
    assert code == "ERROR" and library.last_error()["cloudflare_errors"][0]["code"] == 1010


def test_lost_reactivate_answer_is_reconciled(server, client_for):
    server.then(head_then_stall(1000, 10, hold=60), respond(400, envelope(None, success=False, errors=[{"code": 1009, "message": "no"}])),
                respond(200, envelope(certificate(ITEM, status="pending_reactivation"))))
    code, result, _ = client_for(request_timeout_ms=TIMEOUT_MS).call("cfcerts_reactivate", ZONE, ITEM)
    assert code == "OK" and result["status"] == "pending_reactivation"


# -- bodies that are not what the API documents -----------------------------------------------------------------
def test_twenty_megabyte_body_is_refused(server, client_for, library):
    big = b'{"success":true,"errors":[],"messages":[],"result":{"id":"' + b"x" * (20 << 20) + b'"}}'
    server.then(respond(200, big))
    code, _, _ = get(client_for(request_timeout_ms=30_000))
    assert code == "EDECODE" and "larger than" in library.last_error()["message"]


@pytest.mark.parametrize("status,expected", [(200, "EDECODE"), (500, "ERROR")])
def test_deeply_nested_body_is_refused(server, client_for, status, expected):
    deep = b'{"success":true,"result":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    server.then(respond(status, deep))
    code, _, _ = get(client_for(max_retries=-1))
    assert code == expected


@pytest.mark.parametrize("content_type,body,expected", [
    ("text/html", b"<html><body>502 Bad Gateway</body></html>", "EDECODE"),
    ("text/plain", envelope(certificate(ITEM)), "OK"),       # the body decides, not the label
    ("application/json", b'{"success":true,"result":{"id":"\xff\xfe"}}', "EDECODE"),   # not UTF-8
    ("application/json", b'{"success":true,"result":{"id":12}}', "EDECODE"),           # wrong shape
    ("application/json", b'{"success":true}', "EDECODE"),                              # no result
    ("application/json", b"", "EDECODE"),
    ("application/json", b"null", "EDECODE"),
])
def test_wrong_content(server, client_for, content_type, body, expected):
    server.then(respond(200, body, content_type=content_type))
    code, _, _ = get(client_for(max_retries=-1))
    assert code == expected


def test_html_error_page_keeps_its_status(server, client_for, library):
    server.then(respond(502, b"<html>bad gateway</html>", content_type="text/html"))
    code, _, _ = get(client_for(max_retries=-1))
    assert code == "ERROR" and library.last_error()["http_status"] == 502


@pytest.mark.parametrize("data", [b"SSH-2.0-OpenSSH_9.2\r\n", b"HTTP/1.1 abc Nope\r\n\r\n", b"\x00\xff" * 64],
                         ids=["not-http", "bad-status-line", "binary"])
def test_garbage_is_a_connection_error(server, client_for, data):
    server.then(raw(data))
    code, _, elapsed = get(client_for(max_retries=-1, request_timeout_ms=TIMEOUT_MS))
    assert code in ("ECONNECT", "EDECODE")
    assert elapsed < TIMEOUT_MS / 1000 + SLACK


def test_absurd_numbers_in_result_info(server, client_for):
    server.then(respond(200, envelope([certificate(i) for i in ids(0, 5)],
                                      result_info={"page": 1, "per_page": 5, "total_pages": 1e300, "total_count": -3})))
    code, items, error = client_for().iterate('{"per_page": 5}')
    assert code == "EDECODE" and items == []


# -- a revoke applied, then answered 5xx by the edge -------------------------------------------------------------
EDGE_PAGE = b"<html><head><title>%d</title></head><body>cloudflare</body></html>"


@pytest.mark.parametrize("status", [502, 504, 522])
def test_revoke_applied_then_answered_5xx_is_reconciled(server, client_for, status):
    refused = envelope(None, success=False, errors=[{"code": 1010, "message": "only an active certificate can be revoked"}])
    server.then(respond(status, EDGE_PAGE % status, content_type="text/html"), respond(400, refused),
                respond(200, envelope(certificate(ITEM, status="pending_revocation"))))
    code, result, _ = client_for(request_timeout_ms=TIMEOUT_MS).call("cfcerts_revoke", ZONE, ITEM)
    assert code == "OK" and result["status"] == "pending_revocation"
    assert [request["method"] for request in server.requests] == ["DELETE", "DELETE", "GET"]


def test_reactivate_applied_then_answered_504_without_retries_is_reconciled(server, client_for):
    server.then(respond(504, EDGE_PAGE % 504, content_type="text/html"),
                respond(200, envelope(certificate(ITEM, status="pending_reactivation"))))
    code, result, _ = client_for(max_retries=-1).call("cfcerts_reactivate", ZONE, ITEM)
    assert code == "OK" and result["status"] == "pending_reactivation"


# -- one rule for every path ---------------------------------------------------------------------------------
def test_leading_white_space_is_read_by_every_path(server, client_for):
    body = b" \r\n\t" + envelope([certificate(ITEM)], result_info={"page": 1, "per_page": 20, "count": 1, "total_pages": 1})
    server.then(respond(200, body), respond(200, body), respond(200, b"\n" + envelope(certificate(ITEM))))
    client = client_for()
    code, page_, _ = client.call("cfcerts_list_page", ZONE, None)
    assert code == "OK" and page_["result"][0]["id"] == ITEM
    code, items, _ = client.iterate('{"per_page": 20}')
    assert code == "ITEROVER" and [item["id"] for item in items] == [ITEM]
    assert get(client)[0] == "OK"


def test_list_page_hands_out_result_info_as_sent(server, client_for):
    server.then(respond(200, envelope([certificate(ITEM)], result_info={"page": 1, "per_page": 20})),
                respond(200, envelope([certificate(ITEM)])))
    client = client_for()
    _, sent, _ = client.call("cfcerts_list_page", ZONE, None)
    assert sent["result_info"] == {"page": 1, "per_page": 20}
    _, without, _ = client.call("cfcerts_list_page", ZONE, None)
    assert "result_info" not in without and without["result"][0]["id"] == ITEM


def test_a_page_larger_than_per_page_is_refused(server, client_for, library):
    server.then(page(ids(0, 6), per_page=5, total_pages=1))
    code, items, error = client_for().iterate('{"per_page": 5}')
    assert code == "EDECODE" and items == [] and "per_page" in error["message"]


def test_a_number_beyond_a_double_is_refused_by_every_path(server, client_for, library):
    odd = certificate(ITEM)
    body = json.dumps({"success": True, "errors": [], "messages": [], "result": [odd]}).replace('"validity_days": 365', '"validity_days": 365, "x": 1e400')
    single = json.dumps({"success": True, "errors": [], "messages": [], "result": odd}).replace('"validity_days": 365', '"validity_days": 365, "x": 1e400')
    server.then(respond(200, body.encode()), respond(200, single.encode()))
    client = client_for()
    assert client.iterate('{"per_page": 20}')[0] == "EDECODE"
    assert get(client)[0] == "EDECODE"


def test_the_scanners_message_is_kept(server, client_for, library):
    server.then(respond(200, b'{"success":true,"result":[{"id":"a","status":"active"},]}'))
    code, _, error = client_for().iterate('{"per_page": 20}')
    assert code == "EDECODE" and "at byte" in error["message"], error["message"]
