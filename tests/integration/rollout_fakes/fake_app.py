"""One fake "container": the application process the stand-in `docker` starts.

Like a twelve-factor app it reads PORT (and HEALTH_PATH) from its environment; the stand-in
gives every container its own loopback address (127.0.0.N), so several bind the same PORT.

Behaviour ("mode", taken from the image tag by the stand-in):
  healthy    200 on / and on HEALTH_PATH (after a short start-up delay, as a real app)
  unhealthy  500 on every path
  hang       accepts TCP connections and never answers

Secrets are deliberately echoed to its log and response bodies: if the rollout script ever
printed a container's logs, inspect output or a response body, the tests would see them.

On SIGTERM it stops accepting, finishes what is already queued and exits 0 (a graceful
shutdown); it also exits by itself after --max-lifetime seconds, so a test that dies without
its finalizer cannot leave it running forever.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--addr", required=True)
    parser.add_argument("--mode", choices=["healthy", "unhealthy", "hang"], required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--startup-delay", type=float, default=0.5)
    parser.add_argument("--max-lifetime", type=float, default=300)
    args = parser.parse_args()

    port = int(os.environ["PORT"])
    health_path = os.environ.get("HEALTH_PATH", "/health")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    lifetime = threading.Timer(args.max_lifetime, stop.set)
    lifetime.daemon = True
    lifetime.start()

    # What a careless app prints at start-up: its whole environment, secrets included.
    env_dump = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()))
    print(f"starting {args.version} ({args.mode}) on {args.addr}:{port}; env: {env_dump}", flush=True)
    if stop.wait(args.startup_delay):
        return 0

    if args.mode == "hang":
        # The kernel completes the handshakes (backlog); nobody ever reads the requests.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.addr, port))
        sock.listen(128)
        print("listening (and never answering)", flush=True)
        stop.wait()
        sock.close()
        return 0

    body_secret = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.isupper())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if args.mode == "unhealthy":
                self._send(500, f"boom in {args.version}; {body_secret}\n")
            elif self.path in ("/", health_path):
                self._send(200, f"version={args.version}; {body_secret}\n")
            else:
                self._send(404, "not found\n")

        def _send(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Version", args.version)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *fargs: object) -> None:
            print(format % fargs, flush=True)

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((args.addr, port), Handler)
    server.daemon_threads = False  # server_close() then waits for requests in flight
    server.timeout = 0
    print("listening", flush=True)
    serve = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serve.start()
    stop.wait()
    server.shutdown()
    # Graceful: answer the connections already queued on the listener before closing it.
    while select.select([server.socket], [], [], 0)[0]:
        server.handle_request()
    server.server_close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
