"""A small HTTP/1.1 server that misbehaves on purpose, one scripted answer per request.

Each request takes the next action from the queue (a 404 envelope when it is empty). Actions write raw bytes,
so anything a proxy, a middlebox or a broken server can do is expressible: absurd headers, stalled or short
bodies, a byte at a time, a dropped connection, 20 MB of JSON. Listens on 127.0.0.1 only.
"""
import json
import socket
import threading
import time


def envelope(result, result_info=None, success=True, errors=()):
    body = {"success": success, "errors": list(errors), "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return json.dumps(body).encode()


def certificate(identifier, status="active"):
    """A certificate object with every field the API documents."""
    return {
        "id": identifier, "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "certificate_authority": {"id": "ca", "name": "Cloudflare Managed CA for account"},
        "common_name": "cn-" + identifier, "country": "US", "csr": "", "expires_on": "2030-01-01T00:00:00Z",
        "fingerprint_sha256": "00" * 32, "issued_on": "2025-01-01T00:00:00Z", "location": "", "organization": "",
        "organizational_unit": "", "serial_number": "01", "signature": "SHA256WithRSA", "ski": "00" * 20,
        "state": "", "status": status, "validity_days": 365,
    }


class Stop(Exception):
    """The server is stopping: drop what the action was doing."""


class HostileServer:
    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.base_url = "http://127.0.0.1:%d/client/v4" % self.port
        self.actions = []
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    # -- scripting -------------------------------------------------------------------------------------------
    def then(self, *actions):
        with self.lock:
            self.actions.extend(actions)

    def stop(self):
        self.stopping.set()
        self.listener.close()
        with self.lock:
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                    connection.close()
                except OSError:
                    pass

    def hold(self, seconds):
        """Sleeps up to `seconds`, ending early when the server stops."""
        if self.stopping.wait(seconds):
            raise Stop()

    # -- serving ---------------------------------------------------------------------------------------------
    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        reader = connection.makefile("rb")
        try:
            while not self.stopping.is_set():
                request = self._read_request(reader)
                if request is None:
                    return
                with self.lock:
                    self.requests.append(request)
                    action = self.actions.pop(0) if self.actions else respond(404, envelope(None, success=False, errors=[{"code": 1404, "message": "not scripted"}]))
                if action(self, connection, request) is False:
                    return
        except (Stop, OSError):
            return
        finally:
            try:
                connection.close()
            except OSError:
                pass

    @staticmethod
    def _read_request(reader):
        line = reader.readline()
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers = {}
        while True:
            header = reader.readline().decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", "0") or 0))
        return {"method": method, "target": target, "headers": headers, "body": body}


# -- actions: (server, connection, request) -> None to keep the connection, False to close it -----------------
def respond(status, body=b"", headers=None, content_type="application/json", reason="Scripted"):
    def action(server, connection, request):
        lines = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: " + content_type,
                 "Content-Length: %d" % len(body)]
        lines += ["%s: %s" % item for item in (headers or {}).items()]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    return action


def raw(data, hold=0.0, close=True):
    """Sends `data` as it is, then keeps the connection silent for `hold` seconds, then closes it."""
    def action(server, connection, request):
        connection.sendall(data)
        server.hold(hold)
        return False if close else None
    return action


def drop():
    """Reads the request and closes the connection without a byte of answer (the answer is lost)."""
    return lambda server, connection, request: False


def drip(data, interval):
    """Sends `data` a byte at a time, `interval` seconds apart."""
    def action(server, connection, request):
        for index in range(len(data)):
            connection.sendall(data[index:index + 1])
            server.hold(interval)
        return False
    return action


def head_then_stall(content_length, sent, hold):
    """200 announcing `content_length` body bytes, only `sent` of them, then silence for `hold` seconds."""
    head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % content_length).encode()
    return raw(head + b"{" + b" " * (sent - 1), hold=hold)
