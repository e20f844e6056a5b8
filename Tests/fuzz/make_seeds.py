#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (Tests/fuzz/corpus/TARGET/NAME): real answers from an emulator, the API
reference's examples, and the hostile cases the suites use. Run once with an emulator (its base URL as argument);
the corpora are kept in the repository, and inputs libFuzzer finds that crashed or hung are added by hand (named
regression-*). The pkcs12_bundle seeds were made by hand, once: a profile byte (0 modern, 1 legacy) and the file
`openssl pkcs12 -export -passout pass:fuzz` wrote for the certificate in CoreFuzzEntryPoints.fuzzLeaf.
Usage: Tests/fuzz/make_seeds.py BASE_URL"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

BASE = sys.argv[1]
TOKEN = "cfcerts-emulator-token"
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
API = os.path.join(HERE, "..", "..", "..", "shared", "api")
ZONE = "0123456789abcdef0123456789abcdef"


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode())


def get(path):
    request = urllib.request.Request(BASE + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request) as response:
        return response.read()


def csrs():
    work = tempfile.mkdtemp()
    made = {}
    for name, key in (("p256", ["ecparam", "-name", "prime256v1", "-genkey", "-noout"]),
                      ("rsa2048", ["genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048"]), ("ed25519", ["genpkey", "-algorithm", "ed25519"])):
        subprocess.run(["openssl", *key, "-out", f"{work}/{name}.key"], check=True, capture_output=True)
        subprocess.run(["openssl", "req", "-new", "-utf8", "-key", f"{work}/{name}.key", "-subj",
                        "/CN=fuzz-\u00e9.example.com/O=Fuzz/C=US", "-out", f"{work}/{name}.csr"], check=True, capture_output=True)
        made[name] = open(f"{work}/{name}.csr").read()
    return made


def main():
    request = urllib.request.Request(BASE.replace("/client/v4", "") + f"/__emulator/zones/{ZONE}/seed", method="POST",
                                     data=json.dumps({"count": 3}).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
    page = get(f"/zones/{ZONE}/client_certificates?per_page=5")
    one = json.loads(page)["result"][0]
    single = get(f"/zones/{ZONE}/client_certificates/{one['id']}")
    reference = open(os.path.join(API, "client-certificates-reference.md")).read()
    examples = [block for block in re.findall(r"```json\n(.*?)```", reference, re.S) if '"success"' in block]

    write("list_answer", "emulator-page", page)
    write("list_answer", "empty", b'{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"page":1,"per_page":5,"count":0,"total_count":0,"total_pages":0}}')
    for index, example in enumerate(examples):
        write("list_answer", f"reference-{index}", example)
        write("single_answer", f"reference-{index}", b"\x00" + example.encode())
    write("list_answer", "truncated", page[: len(page) // 2])
    write("list_answer", "number-1e400", page.replace(b'"page":1', b'"page":1e400'))
    write("list_answer", "nested", b'{"result":[' + b"[" * 5000 + b"]" * 5000 + b"]}")
    write("list_answer", "crlf-escaped", b'{"success":true,"result":[{"id":"a","certificate":"x\\r\\ny\\u000d"}]}')
    write("list_answer", "result-object", b'{"success":true,"result":{"id":"a"}}')
    write("list_answer", "success-false", b'{"success":false,"errors":[{"code":1234,"message":"no"}],"result":null}')
    write("list_answer", "bad-utf8", b'{"success":true,"result":[{"id":"\xff\xfe"}]}')
    write("single_answer", "emulator-get", b"\x00" + single)
    write("single_answer", "error-404", b"\x03" + b'{"success":false,"errors":[{"code":1404,"message":"Client certificate not found"}],"messages":[],"result":null}')
    write("single_answer", "html-502", b"\x06<html><body>Bad gateway</body></html>")
    write("single_answer", "token-echo", b"\x02" + b'{"success":false,"errors":[{"code":10000,"message":"bad fuzz-secret","documentation_url":"https://x/fuzz-secret"}]}')
    write("single_answer", "shape", b'\x00{"success":true,"errors":[],"messages":[],"result":{"id":1}}')
    for index, value in enumerate(["1", "0", "-5", "1e16", "99999999999999999999", "nan", "inf", "abc", "",
                                   "Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT",
                                   "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                                   "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 30 Feb 2026 25:61:61 GMT", "250.2",
                                   '"default";r=50;t=30', '"default";q=1200;w=300', "r=0, t=1e400", ";;;=,"]):
        write("retry_after", f"seed-{index}", value)
    made = csrs()
    for name, pem in made.items():
        write("csr_inspection", name, pem)
        write("emulator_csr", name, pem)
    broken = made["p256"].replace("A", "B", 3)
    for target in ("csr_inspection", "emulator_csr"):
        write(target, "broken", broken)
        write(target, "garbage", "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n")
        write(target, "crlf", made["p256"].replace("\n", "\r\n"))
    parameters = [
        (0, '{"per_page": 5, "page": 2, "status": "active"}'), (0, '{"per_page": 51}'), (0, '{"page": 1e20}'),
        (1, json.dumps({"csr": made["p256"], "validity_days": 30})), (1, '{"csr": 5}'), (1, '{"csr": "x", "validity_days": -1}'),
        (2, "0123456789abcdef0123456789abcdef"), (2, ".."), (2, "%2e%2e"), (2, "a\x01b"),
        (3, made["p256"]), (3, "garbage"), (4, '{"common_name": "fuzz.example.com", "country": "US"}'),
        (4, '{"common_name": ""}'), (5, '{"status": "revoked", "per_page": 50, "prefetch_pages": 4}'),
        (6, '{"operation": "revoke", "ids": ["a", "b"], "concurrency": 2}'),
        (6, json.dumps({"operation": "create", "items": [{"csr": made["p256"], "name": "x"}]})),
        (6, '{"operation": "revoke", "ids": ["a", "a"]}'), (7, "0123456789abcdef0123456789abcdef"), (7, "../x"),
    ]
    for index, (selector, text) in enumerate(parameters):
        write("c_parameters", f"seed-{index}", bytes([selector]) + text.encode())
    collection = f"/client/v4/zones/{ZONE}/client_certificates"
    requests = [
        (0, collection + "?page=1&per_page=5&status=active", b""), (0, collection + "?page=0", b""),
        (0, collection + "?per_page=51&offset=3&limit=2", b""),
        (1, collection, json.dumps({"csr": made["p256"], "validity_days": 30}).encode()),
        (1, collection, b'{"csr": 5}'), (1, collection, b"[" * 1000), (1, collection, b'{"csr": "\xff"}'),
        (2, collection + "/" + "0" * 32, b'{"reactivate": true}'), (3, collection + "/" + "0" * 32, b""),
        (4, collection, b"{}"), (0, "/client/v4/zones/%2e%2e/client_certificates", b""),
        (0, "/client/v4/zones/" + ZONE + "/client_certificates/a/b", b""),
    ]
    for index, (method, target, body) in enumerate(requests):
        write("emulator_request", f"seed-{index}", bytes([method]) + target.encode() + b"\n" + body)
    print("seeds written to", CORPUS)


main()
