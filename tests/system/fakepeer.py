"""A stand-in for a NanoDNS 1.0 (Python) node's management API, for the interop tests.

It answers as the original's mgmt.py does (http.server, HTTP/1.0, `json.dumps(indent=2)`
bodies with Content-Length), from a config it holds as raw bytes:

  GET  /health      200 {"status":"ok","version":V,"uptime_s":U}
  GET  /ready       200 {"status":"ready","version":V,"checksum":C,"records":R,"zones":Z}
  GET  /config/raw  200 the raw bytes (application/json)
  GET  /cluster     200 {"self":{...},"peers":{}}
  POST /sync        empty body 400 {"error":"empty body"}; same checksum 200 already_current;
                    server.config_version (default 1) lower than ours 409 rejected_stale;
                    otherwise the bytes are stored as they came: 200 applied.
                    Unparsable JSON: 500 {"error": ...}, as the original does.
  anything else     404 {"error":"unknown path: /x"}

It ignores Authorization (the original has no token) but records every request, headers
included, so tests can see what our node sent.

    with FakePeer(config_bytes) as peer:
        peer.addr                 # "127.0.0.1:PORT", for server.peers
        peer.requests("POST", "/sync")
        peer.version, peer.raw
"""

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes
    when: float


def _checksum(raw):
    return hashlib.sha256(raw).hexdigest()[:16]


def _version(raw):
    return json.loads(raw).get("server", {}).get("config_version", 1)


class FakePeer:
    def __init__(self, raw, host="127.0.0.1"):
        self.host = host
        self.lock = threading.Lock()
        self.raw = raw if isinstance(raw, bytes) else (json.dumps(raw, indent=2) + "\n").encode()
        self.version = _version(self.raw)
        self.log = []
        self.health_version = None  # set: /health reports this instead of the real version
        self.started = time.monotonic()
        self.httpd = None
        self.thread = None

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self):
        peer = self

        class Handler(_Handler):
            fake = peer

        self.httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(5)
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    # ---- state --------------------------------------------------------------------------------
    def set_config(self, raw):
        raw = raw if isinstance(raw, bytes) else (json.dumps(raw, indent=2) + "\n").encode()
        with self.lock:
            self.raw = raw
            self.version = _version(raw)

    def config(self):
        with self.lock:
            return json.loads(self.raw)

    def requests(self, method=None, path=None):
        with self.lock:
            return [r for r in self.log if (method is None or r.method == method)
                    and (path is None or r.path == path)]

    def clear(self):
        with self.lock:
            self.log = []


class _Handler(BaseHTTPRequestHandler):
    fake: FakePeer

    def log_message(self, fmt, *args):  # quiet
        pass

    def _send_json(self, code, body):
        payload = json.dumps(body, indent=2).encode()
        self._send_raw(code, payload, "application/json")

    def _send_raw(self, code, body, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, body=b""):
        f = self.fake
        with f.lock:
            f.log.append(Request(self.command, self.path.split("?")[0], dict(self.headers.items()),
                                 body, time.monotonic()))

    def do_GET(self):
        self._record()
        f = self.fake
        path = self.path.split("?")[0]
        with f.lock:
            raw, version = f.raw, f.version
        uptime = round(time.monotonic() - f.started, 1)
        if path == "/health":
            hv = f.health_version if f.health_version is not None else version
            self._send_json(200, {"status": "ok", "version": hv, "uptime_s": uptime})
        elif path == "/ready":
            cfg = json.loads(raw)
            self._send_json(200, {"status": "ready", "version": version,
                                  "checksum": _checksum(raw),
                                  "records": len(cfg.get("records", [])),
                                  "zones": len(cfg.get("zones", {}))})
        elif path == "/config/raw":
            self._send_raw(200, raw, "application/json")
        elif path == "/cluster":
            self._send_json(200, {"self": {"status": "ok", "version": version,
                                           "checksum": _checksum(raw), "uptime_s": uptime},
                                  "peers": {}})
        else:
            self._send_json(404, {"error": "unknown path: %s" % path})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0) or 0)
        raw = self.rfile.read(n) if n else b""
        self._record(raw)
        f = self.fake
        path = self.path.split("?")[0]
        if path != "/sync":
            self._send_json(404, {"error": "unknown path: %s" % path})
            return
        if not raw:
            self._send_json(400, {"error": "empty body"})
            return
        try:
            incoming = json.loads(raw).get("server", {}).get("config_version", 1)
        except Exception as e:  # noqa: BLE001 - the original answers 500
            self._send_json(500, {"error": str(e)})
            return
        with f.lock:
            mine = f.version
            if _checksum(raw) == _checksum(f.raw):
                reply = (200, {"status": "already_current", "version": mine,
                               "checksum": _checksum(raw)})
            elif incoming < mine:
                reply = (409, {"status": "rejected_stale", "my_version": mine,
                               "incoming_version": incoming})
            else:
                f.raw, f.version = raw, incoming
                cfg = json.loads(raw)
                reply = (200, {"status": "applied", "version": incoming,
                               "checksum": _checksum(raw),
                               "records": len(cfg.get("records", [])),
                               "zones": len(cfg.get("zones", {}))})
        self._send_json(*reply)
