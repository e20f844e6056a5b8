"""atheris over the Python binding's argument handling: every public call with arguments of any type and value
(None, bools, ints up to 2^200, NaN and infinities, strings with NUL, lone surrogates and 1,000-character runs,
bytes, nested lists and dicts) must return or raise ``cfcerts.Error`` (``InvalidArgument`` for the arguments):
never another exception (a ``ctypes`` ``OverflowError``, a ``UnicodeEncodeError``, a ``KeyError``), never a crash
of the process. Calls that pass the checks go to a closed loopback port and end in ``Connection`` at once.

Usage (scripts/fuzz.sh runs it as the ``python_arguments`` target):
    CFCERTS_LIBRARY=stage/lib/libcfcerts.so.0 PYTHONPATH=bindings/python/src \\
        python3 Tests/fuzz/python_arguments.py [libFuzzer arguments: CORPUS, -max_total_time=N, ...]
"""

import sys

import atheris

with atheris.instrument_imports(include=["cfcerts"]):
    import cfcerts

# Nothing listens on the discard port of loopback: a call that gets past its arguments fails within its 20 ms
# (the HTTP client retries a refused connection until the deadline).
CLOSED = "http://127.0.0.1:9/client/v4"
ZONE = "0123456789abcdef0123456789abcdef"
CLIENT = cfcerts.Client(api_token="fuzz-token", base_url=CLOSED, max_retries=0, timeout=0.01, total_timeout=0.02,
                        pacing="off")
SPECIAL_FLOATS = [float("nan"), float("inf"), float("-inf"), 1e300, -0.0, 0.5, 2.0**31, 86_400.5]
SPECIAL_INTS = [0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, 2**64 + 1, 10**30]


def value(data, depth=0):
    """Any value a caller might pass."""
    kind = data.ConsumeIntInRange(0, 13)
    if kind == 0:
        return None
    if kind == 1:
        return data.ConsumeBool()
    if kind == 2:
        return data.ConsumeIntInRange(-100, 100)
    if kind == 3:
        return SPECIAL_INTS[data.ConsumeIntInRange(0, len(SPECIAL_INTS) - 1)]
    if kind == 4:
        return data.ConsumeInt(data.ConsumeIntInRange(1, 25))
    if kind == 5:
        return SPECIAL_FLOATS[data.ConsumeIntInRange(0, len(SPECIAL_FLOATS) - 1)]
    if kind == 6:
        return data.ConsumeFloat()
    if kind == 7:
        return data.ConsumeUnicode(data.ConsumeIntInRange(0, 64))  # may hold NULs and lone surrogates
    if kind == 8:
        return data.ConsumeUnicodeNoSurrogates(data.ConsumeIntInRange(0, 64))
    if kind == 9:
        return data.ConsumeBytes(data.ConsumeIntInRange(0, 32))
    if kind == 10:
        return "a" * data.ConsumeIntInRange(0, 1000) + data.ConsumeUnicodeNoSurrogates(4)
    if kind == 11:
        return ["active", "revoked", "pending_revocation", "pending_reactivation", "all", "p256", "rsa2048", ZONE,
                "off", "10/60", "0/0", "1/0", "-1/5"][data.ConsumeIntInRange(0, 12)]
    if kind == 12 and depth < 2:
        return [value(data, depth + 1) for _ in range(data.ConsumeIntInRange(0, 3))]
    if kind == 13 and depth < 2:
        return {value_key(data): value(data, depth + 1) for _ in range(data.ConsumeIntInRange(0, 3))}
    return data.ConsumeUnicodeNoSurrogates(8)


def value_key(data):
    keys = ["csr", "validity_days", "name", "x", ""]
    return keys[data.ConsumeIntInRange(0, len(keys) - 1)]


def maybe(data):
    """Mostly None (the library's default), else any value."""
    return value(data) if data.ConsumeBool() else None


def make_client(data):
    # Only made and closed: with retries and timeouts of any value a call may rightly take its documented worst
    # case (minutes). Never a random base_url: the fuzzer must not reach out to whatever host it spells.
    options = dict(api_token=maybe(data), api_email=maybe(data), api_key=maybe(data), user_service_key=maybe(data),
                   timeout=maybe(data), connect_timeout=maybe(data), total_timeout=maybe(data),
                   max_retries=maybe(data), user_agent_suffix=maybe(data), pacing=maybe(data))
    cfcerts.Client(base_url=CLOSED, **options).close()


def certificates_call(data):
    certificates = CLIENT.client_certificates
    operation = data.ConsumeIntInRange(0, 9)
    if operation == 0:
        certificates.get(value(data), zone_id=value(data))
    elif operation == 1:
        certificates.list_page(value(data), page=maybe(data), per_page=maybe(data), status=maybe(data),
                               limit=maybe(data), offset=maybe(data))
    elif operation == 2:
        with certificates.list(value(data), status=maybe(data), per_page=maybe(data),
                               prefetch_pages=maybe(data)) as iterator:
            next(iter(iterator), None)
    elif operation == 3:
        certificates.create(zone_id=value(data), csr=value(data), validity_days=value(data))
    elif operation == 4:
        certificates.revoke(value(data), zone_id=value(data))
    elif operation == 5:
        certificates.reactivate(value(data), zone_id=value(data))
    elif operation == 6:
        ids = [value(data) for _ in range(data.ConsumeIntInRange(0, 4))]
        with certificates.bulk_revoke(ids, zone_id=value(data), concurrency=maybe(data)) as run:
            list(run)
    elif operation == 7:
        items = [value(data) for _ in range(data.ConsumeIntInRange(0, 4))]
        with certificates.bulk_create(items, zone_id=value(data), validity_days=value(data),
                                      concurrency=maybe(data)) as run:
            list(run)
    elif operation == 8:
        cfcerts.generate_csr(value(data), organization=maybe(data), organizational_unit=maybe(data),
                             country=maybe(data), state=maybe(data), location=maybe(data),
                             key_type=value(data) if data.ConsumeBool() else "p256")
    else:
        cfcerts.inspect_csr(value(data))


def test_one_input(raw):
    data = atheris.FuzzedDataProvider(raw)
    try:
        if data.ConsumeIntInRange(0, 7) == 0:
            make_client(data)
        else:
            certificates_call(data)
    except cfcerts.Error:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
