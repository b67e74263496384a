"""The Healthchecks.io dynamic provider (components/alerts/healthchecks.py) against a stand-in
of the management API on 127.0.0.1 that answers with the documented example response
(tests/data/healthchecks_create_check.json, from Healthchecks.io's API docs).

Proved: create sends the documented fields with `unique: ["name"]` and the key in X-Api-Key,
and reads the ping URL and the check's UUID from the answer (the UUID from `update_url`
where the answer has no `uuid`); update posts to the check; delete tolerates a check already
gone; a refused key or an out-of-range value fails with a message that never holds the key.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from multicloud.components.alerts.healthchecks import HealthchecksError, HeartbeatProvider, check_body
from tests.conftest import ROOT

KEY = "hcw_Xq7Lr2Vd9Ts4Kp1Mz8Nb3Fc6Gh0Jw5Y"
ANSWER = json.loads((ROOT / "tests" / "data" / "healthchecks_create_check.json").read_text())
UUID = "f618072a-7bde-4eee-af63-71a77c5723bc"


class _Api(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        server: Any = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server.seen.append(
            (self.command, self.path, self.headers.get("X-Api-Key"), json.loads(body or b"null"))
        )
        status, reply = server.replies.pop(0) if server.replies else (200, ANSWER)
        payload = json.dumps(reply).encode() if reply is not None else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[Any]:
    server: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    server.seen, server.replies = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def free_port_here() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def props(api: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "multicloud-prod-db-backup",
        "desc": "PostgreSQL db",
        "tags": "multicloud db",
        "timeout": 86400,
        "grace": 7200,
        "channels": "*",
        "api_key": KEY,
        "api_url": api.url,
    } | overrides


def answered_here(api: Any) -> dict[str, Any]:
    """The documented answer, with the ping URL pointing at the stand-in."""
    return ANSWER | {"ping_url": f"{api.url}/ping/{UUID}"}


def test_create_is_idempotent_by_name_and_reads_the_documented_answer(api):
    api.replies = [(201, answered_here(api)), (200, None)]
    result = HeartbeatProvider().create(props(api))
    (method, path, key, body), arm = api.seen
    assert (method, path, key) == ("POST", "/api/v3/checks/", KEY)
    assert body == {
        "name": "multicloud-prod-db-backup",
        "desc": "PostgreSQL db",
        "tags": "multicloud db",
        "timeout": 86400,
        "grace": 7200,
        "channels": "*",
        "unique": ["name"],
    }
    assert result.id == UUID
    assert result.outs["ping_url"] == f"{api.url}/ping/{UUID}" and result.outs["uuid"] == UUID
    # Armed: one ping, without the key, so a timer that never runs is noticed by its silence.
    assert arm[:3] == ("GET", f"/ping/{UUID}", None)


def test_the_documented_answer_gives_the_uuid_and_the_ping_url():
    from multicloud.components.alerts.healthchecks import _outs

    outs = _outs({"name": "x"}, ANSWER)
    assert (outs["uuid"], outs["ping_url"]) == (UUID, f"https://hc-ping.com/{UUID}")


def test_a_check_that_cannot_be_armed_fails_the_create(api, free_port_here):
    api.replies = [(201, ANSWER | {"ping_url": f"http://127.0.0.1:{free_port_here}/{UUID}"})]
    with pytest.raises(HealthchecksError, match="could not be pinged"):
        HeartbeatProvider().create(props(api))


def test_update_posts_to_the_check(api):
    HeartbeatProvider().update(UUID, props(api), props(api, grace=3600))
    ((method, path, _, body),) = api.seen
    assert (method, path, body["grace"]) == ("POST", f"/api/v3/checks/{UUID}", 3600)
    assert "unique" not in body


def test_delete_tolerates_a_check_already_gone(api):
    api.replies = [(404, None)]
    HeartbeatProvider().delete(UUID, props(api))
    assert api.seen[0][:2] == ("DELETE", f"/api/v3/checks/{UUID}")


def test_a_refused_key_says_so_without_the_key(api):
    api.replies = [(401, None)]
    with pytest.raises(HealthchecksError) as refused:
        HeartbeatProvider().create(props(api))
    assert "read-write project key" in str(refused.value) and KEY not in str(refused.value)


def test_the_free_plans_limit_is_reported(api):
    api.replies = [(403, {"error": "checks limit exceeded"})]
    with pytest.raises(HealthchecksError, match="403"):
        HeartbeatProvider().create(props(api))


def test_diff_replaces_only_for_another_instance(api):
    provider = HeartbeatProvider()
    assert provider.diff(UUID, props(api), props(api)).changes is False
    grace = provider.diff(UUID, props(api), props(api, grace=3600))
    assert grace.changes is True and grace.replaces == []
    moved = provider.diff(UUID, props(api), props(api, api_url="https://hc.example.org"))
    assert moved.replaces == ["api_url"]


@pytest.mark.parametrize(
    ("override", "message"),
    [({"timeout": 59}, "timeout must be 60-31536000"), ({"grace": 31_536_001}, "grace must be"),
     ({"name": "x" * 101}, "1-100 characters"), ({"name": ""}, "1-100 characters")],
)  # fmt: skip
def test_the_apis_ranges_are_checked_before_any_call(api, override, message):
    with pytest.raises(HealthchecksError, match=message):
        check_body(props(api, **override))
    assert api.seen == []
