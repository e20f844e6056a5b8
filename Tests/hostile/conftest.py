"""ctypes access to the installed libcfcerts (CFCERTS_LIBRARY), and a hostile server per test."""
import ctypes
import json
import os
import time

import pytest

from hostile_server import HostileServer

ZONE = "0123456789abcdef0123456789abcdef"


class Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("api_token", ctypes.c_char_p), ("api_email", ctypes.c_char_p),
                ("api_key", ctypes.c_char_p), ("user_service_key", ctypes.c_char_p), ("base_url", ctypes.c_char_p),
                ("connect_timeout_ms", ctypes.c_int), ("request_timeout_ms", ctypes.c_int),
                ("max_retries", ctypes.c_int), ("user_agent_suffix", ctypes.c_char_p),
                ("allow_insecure_http", ctypes.c_int), ("total_timeout_ms", ctypes.c_int)]


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("http_status", ctypes.c_int), ("message", ctypes.c_char_p),
                ("ray_id", ctypes.c_char_p), ("cloudflare_errors", ctypes.c_char_p),
                ("retry_after_ms", ctypes.c_longlong)]


CODES = {"OK": 0, "ERROR": -1, "EINVAL": -2, "ENOTFOUND": -3, "EAUTH": -4, "EPERM": -5, "ERATELIMIT": -6,
         "ETIMEOUT": -7, "ECONNECT": -8, "EDECODE": -9, "ITEROVER": -10}
NAMES = {value: name for name, value in CODES.items()}


class Library:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        out = ctypes.POINTER(ctypes.c_void_p)
        for name in ("cfcerts_get", "cfcerts_revoke", "cfcerts_reactivate", "cfcerts_list_page", "cfcerts_create",
                     "cfcerts_iter_new"):
            getattr(self.lib, name).argtypes = [out, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
            getattr(self.lib, name).restype = ctypes.c_int
        self.lib.cfcerts_iter_next.argtypes = [out, ctypes.c_void_p]
        self.lib.cfcerts_client_new.argtypes = [out, ctypes.POINTER(Options)]
        self.lib.cfcerts_client_options_init.argtypes = [ctypes.POINTER(Options), ctypes.c_uint]
        for name in ("cfcerts_client_free", "cfcerts_iter_free", "cfcerts_string_free"):
            getattr(self.lib, name).argtypes = [ctypes.c_void_p]
            getattr(self.lib, name).restype = None
        self.lib.cfcerts_error_last.restype = ctypes.POINTER(Error)

    def take(self, pointer):
        """The string the library handed out, freed with cfcerts_string_free."""
        if not pointer.value:
            return None
        text = ctypes.string_at(pointer.value).decode()
        self.lib.cfcerts_string_free(pointer.value)
        return text

    def last_error(self):
        error = self.lib.cfcerts_error_last().contents
        return {"code": error.code, "http_status": error.http_status, "message": error.message.decode(),
                "cloudflare_errors": json.loads(error.cloudflare_errors.decode()), "retry_after_ms": error.retry_after_ms}


class Client:
    """One cfcerts_client; every call returns (code name, parsed JSON or None, seconds it took)."""

    def __init__(self, library, base_url, **fields):
        self.library = library
        self.lib = library.lib
        options = Options()
        assert self.lib.cfcerts_client_options_init(ctypes.byref(options), 2) == 0
        options.api_token = b"hostile-test-token"
        options.base_url = base_url.encode()
        for name, value in fields.items():
            setattr(options, name, value)
        self.handle = ctypes.c_void_p()
        assert self.lib.cfcerts_client_new(ctypes.byref(self.handle), ctypes.byref(options)) == 0, library.last_error()

    def call(self, name, *arguments):
        out = ctypes.c_void_p()
        started = time.monotonic()
        code = getattr(self.lib, name)(ctypes.byref(out), self.handle, *[a.encode() if a is not None else None for a in arguments])
        elapsed = time.monotonic() - started
        text = self.library.take(out)
        assert (text is None) == (code != 0), "a string is handed out exactly on success"
        return NAMES.get(code, code), json.loads(text) if text else None, elapsed

    def iterate(self, params):
        iterator = ctypes.c_void_p()
        assert self.lib.cfcerts_iter_new(ctypes.byref(iterator), self.handle, ZONE.encode(), params.encode()) == 0
        items, out = [], ctypes.c_void_p()
        while True:
            code = self.lib.cfcerts_iter_next(ctypes.byref(out), iterator)
            if code != 0:
                break
            items.append(json.loads(self.library.take(out)))
        error = self.library.last_error()
        self.lib.cfcerts_iter_free(iterator)
        return NAMES.get(code, code), items, error

    def close(self):
        self.lib.cfcerts_client_free(self.handle)


@pytest.fixture(scope="session")
def library():
    path = os.environ.get("CFCERTS_LIBRARY")
    assert path, "CFCERTS_LIBRARY must name the installed libcfcerts.so.0 (scripts/run-c-tests.sh sets it)"
    return Library(path)


@pytest.fixture
def server():
    hostile = HostileServer()
    yield hostile
    hostile.stop()


@pytest.fixture
def client_for(library, server):
    made = []

    def make(**fields):
        client = Client(library, server.base_url, **fields)
        made.append(client)
        return client
    yield make
    for client in made:
        client.close()
