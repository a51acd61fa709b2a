"""The machinery of the parity suite: cases, servers, raw exchanges, views.

Shared by the pytest suite (tests/parity) and scripts/parity_report.py.

A *case* is one entry of a `cases/*.toml` table: raw request bytes (one or
more pipelined requests), what both servers should answer, and, where
wsgiserver answers differently on purpose, the documented difference with
each server's own expected answer. A case is sent over a fresh loopback
connection, whole and then one byte per `send`, and each server's answer is
reduced to a *view*: per response the status, the headers that matter, the
framing and the body (for the echo app: the environ the app saw), then
whether the connection closed and how many requests reached the app.
Responses are read with tests/helpers.py's `ResponseReader`, leniently.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(HERE.parent) not in sys.path:
    sys.path.append(str(HERE.parent))  # tests/helpers.py
import helpers  # noqa: E402

CASES_DIR = HERE / "cases"

READ_TIMEOUT = 3.0      # longest wait for any one byte of an answer
CLOSE_TIMEOUT = 2.0     # longest wait for EOF after a response that says it closes
CASE_DEADLINE = 8.0     # longest one exchange may take
MAX_RESPONSE = 4 << 20

# Response headers compared between the servers (Date and Server never match).
COMPARED_HEADERS = ("content-type", "content-length", "transfer-encoding", "connection",
                    "set-cookie", "location", "etag")
# Environ keys the servers fill from their own identity, not from the request.
OWN_KEYS = ("SERVER_SOFTWARE", "REMOTE_PORT")
# Keys wsgiserver adds that gunicorn does not have (documented in docs/parity.md).
EXTRA_KEYS = {"REQUEST_URI": "the raw request target, as nginx and uWSGI name it; "
                             "equal to RAW_URI"}
# Error pages the server writes itself differ in wording and media type only.
ERROR_PAGE_NOTE = ("wsgiserver writes `text/plain` error pages (`400 Bad Request` and the "
                   "reason), gunicorn small HTML pages: for responses the server makes "
                   "itself (status >= 400 with no app call) the body and Content-Type are "
                   "not compared; status and `Connection: close` are.")


# -- cases --------------------------------------------------------------------

_REPEAT = re.compile(r'\{\{"(.*?)"\*(\d+)\}\}', re.S)


@dataclass
class Case:
    id: str
    category: str
    note: str
    request: bytes
    status: list[int]
    methods: list[str]
    calls: Optional[int] = None
    difference: str = ""
    ours: dict = field(default_factory=dict)
    gunicorn: dict = field(default_factory=dict)
    half_close: bool = False
    source: str = ""

    def expected_status(self, server: str) -> list[int]:
        override = self.ours if server == "wsgiserver" else self.gunicorn
        return _as_list(override.get("status", self.status), max(len(self.status), 1))

    def refused(self, server: str) -> bool:
        """Every answer is an error the server made: the request must never reach the app."""
        codes = [code for code in self.expected_status(server) if code >= 200]
        return not self.override(server).get("calls", self.calls) and all(
            code >= 400 for code in codes)

    def override(self, server: str) -> dict:
        return self.ours if server == "wsgiserver" else self.gunicorn

    def expected_calls(self, server: str) -> Optional[int]:
        calls = self.override(server).get("calls", self.calls)
        if calls is not None:
            return calls
        return 0 if self.refused(server) else None

    @property
    def reads(self) -> int:
        """How many final answers to read: the most any expectation names."""
        return max(len([c for c in self.expected_status(s) if c >= 200])
                   for s in ("wsgiserver", "gunicorn"))


def expand(text: str) -> bytes:
    """TOML text to request bytes: latin-1, with {{"text"*N}} repeated N times."""
    text = _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)
    return text.encode("latin-1")


def _request_bytes(entry: dict) -> bytes:
    """`raw` as it is, or `lines` joined with CRLF, a blank line and `body`;
    `{{len}}` in the lines is the body's length in bytes."""
    if "raw" in entry:
        return expand(entry["raw"])
    body = expand(entry.get("body", ""))
    head = ("\r\n".join(entry["lines"]) + "\r\n\r\n").replace("{{len}}", str(len(body)))
    return expand(head) + body


def _as_list(value, count: int) -> list:
    if isinstance(value, list):
        return value
    return [value] * count


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    cases: list[Case] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.toml")):
        table = tomllib.loads(path.read_text("utf-8"))
        category = table["category"]
        for entry in table["case"]:
            unknown = set(entry) - {"id", "note", "raw", "lines", "body", "status", "methods",
                                    "responses", "calls", "difference", "ours", "gunicorn",
                                    "half_close"}
            assert not unknown, f"{path.name}: {entry.get('id')}: unknown keys {unknown}"
            for side in ("ours", "gunicorn"):
                bad = set(entry.get(side, {})) - set(OVERRIDE_KEYS)
                assert not bad, f"{entry['id']}: unknown keys in {side}: {bad}"
            assert entry["id"] not in seen, f"duplicate case id {entry['id']}"
            assert entry.get("note"), f"{entry['id']}: every case needs a note"
            assert bool(entry.get("difference")) == bool(entry.get("ours")), (
                f"{entry['id']}: a difference needs its own 'ours' expectation, and back")
            seen.add(entry["id"])
            request = _request_bytes(entry)
            count = entry.get("responses", len(entry["status"])
                              if isinstance(entry.get("status"), list) else 1)
            status = _as_list(entry.get("status", 200), count)
            methods = entry.get("methods") or [request.split(b" ", 1)[0].decode("latin-1")]
            cases.append(Case(
                id=entry["id"], category=category, note=entry["note"], request=request,
                status=status, methods=methods, calls=entry.get("calls"),
                difference=entry.get("difference", ""), ours=entry.get("ours", {}),
                gunicorn=entry.get("gunicorn", {}), half_close=entry.get("half_close", False),
                source=path.name))
    return cases


def categories(directory: Path = CASES_DIR) -> list[tuple[str, str, str]]:
    """(file, category, description) of every case table."""
    found = []
    for path in sorted(directory.glob("*.toml")):
        table = tomllib.loads(path.read_text("utf-8"))
        found.append((path.name, table["category"], table.get("description", "")))
    return found


# -- reading raw responses ------------------------------------------------------

def reader(sock: socket.socket, deadline: float) -> helpers.ResponseReader:
    """tests/helpers.py's response reader, lenient: it records whatever a server sends,
    and every wait is bounded (READ_TIMEOUT per recv, the deadline for all)."""
    return helpers.ResponseReader(sock, strict=False, timeout=READ_TIMEOUT, deadline=deadline,
                                  max_buffer=MAX_RESPONSE)


# -- one exchange ---------------------------------------------------------------

def exchange(port: int, case: Case, bytewise: bool) -> dict:
    """Send the case to 127.0.0.1:port; return the raw record of what came back."""
    deadline = time.monotonic() + CASE_DEADLINE
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stream = reader(sock, deadline)
        _send(sock, case.request, bytewise)
        if case.half_close:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        responses = []
        for index in range(case.reads):
            method = case.methods[min(index, len(case.methods) - 1)]
            response = stream.read_response(method)
            if response is None:
                break
            responses.append(response)
            if response.status is not None and response.status < 200:
                final = stream.read_response(method)  # the final answer after a 1xx
                if final is None:
                    break
                responses.append(final)
            if response.status is None:
                break
        if not case.reads:
            # No answer is expected: wait for one anyway, or for the close.
            response = stream.read_response("GET")
            if response is not None:
                responses.append(response)
        closed = _closed_after(stream, responses)
        extra = bytes(stream.buf)
    return {"responses": responses, "closed": closed, "extra": extra,
            "timed_out": stream.timed_out}


def _send(sock: socket.socket, data: bytes, bytewise: bool) -> None:
    try:
        if not bytewise:
            sock.sendall(data)
            return
        for index in range(len(data)):
            sock.sendall(data[index:index + 1])
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server refused and closed early; its answer is still readable


def _closed_after(stream: helpers.ResponseReader, responses: list) -> bool:
    """Wait for EOF if the last response says the connection ends; else report what is known."""
    if stream.eof:
        return True
    if not responses:
        return False
    last = responses[-1]
    connection = (last.headers_named("Connection") or [""])[-1].lower()
    if "close" in connection or (last.version == "HTTP/1.0"
                                 and "keep-alive" not in connection):
        stream.deadline = min(stream.deadline, time.monotonic() + CLOSE_TIMEOUT)
        return stream.wait_for_eof()
    return False


# -- views ------------------------------------------------------------------------

def view(record: dict, server_port: int, calls: int) -> dict:
    """What a client and an app can observe, normalised so the two servers compare."""
    return {
        "responses": [_response_view(r, server_port) for r in record["responses"]],
        "closed": record["closed"],
        "extra": record["extra"][:200].decode("latin-1"),
        "calls": calls,
    }


def _response_view(response: helpers.Response, server_port: int) -> dict:
    if response.status is None:
        return {"status": None, "garbage": response.garbage[:80].decode("latin-1")}
    headers = [(name.lower(), value) for name, value in response.headers]
    names = {name for name, _ in headers}
    out: dict[str, Any] = {"status": response.status, "framing": response.framing,
                           "complete": response.complete}
    echo = ("x-echo", "1") in headers
    # An error page the server wrote itself: the app's responses carry X- headers.
    own_error = response.status >= 400 and not any(k.startswith("x-") for k in names)
    for name in COMPARED_HEADERS:
        values = [value for key, value in headers if key == name]
        if name == "connection":
            out[name] = "close" if any("close" in v.lower() for v in values) else "keep-alive"
        elif values and not ((own_error or echo) and name == "content-length") \
                and not (own_error and name == "content-type"):
            # The echo JSON's length differs with the environ; framing is compared.
            out[name] = values if name == "set-cookie" else values[-1]
    out["app_headers"] = sorted((k, v) for k, v in headers if k.startswith("x-"))
    if echo:
        out["echo"] = _echo_view(response.body, server_port)
    elif own_error:
        out["body"] = "<server error page>"
    else:
        out["body"] = response.body.decode("latin-1")
    return out


def _echo_view(body: bytes, server_port: int) -> dict:
    try:
        report = json.loads(body)
    except ValueError:
        return {"unparsable": body[:200].decode("latin-1")}
    environ = dict(report["environ"])
    for key in OWN_KEYS:
        environ.pop(key, None)
    if environ.get("SERVER_PORT") == str(server_port):
        environ["SERVER_PORT"] = "<listening port>"
    for key in EXTRA_KEYS:
        if key in environ:
            assert environ.pop(key) == environ.get("RAW_URI"), f"{key} differs from RAW_URI"
    return {"environ": environ, "body": base64.b64decode(report["body_b64"]).decode("latin-1")}


def statuses(the_view: dict) -> list[Optional[int]]:
    return [r["status"] for r in the_view["responses"]]


# -- comparing ----------------------------------------------------------------------

OVERRIDE_KEYS = ("status", "calls", "closed", "environ", "response")


def check_case(case: Case, views: dict[str, dict]) -> list[str]:
    """Problems with the two servers' views of one case (empty when the case passes)."""
    problems = []
    for server, the_view in views.items():
        problems += _check_expectations(case, server, the_view)
    if "status" in case.ours or "status" in case.gunicorn:
        return problems  # different answers on purpose: each side meets its own expectation
    ours, theirs = (_strip_overrides(case, views[s]) for s in ("wsgiserver", "gunicorn"))
    _computed_length_rule(theirs, ours)
    if ours != theirs:
        problems.append("views differ:\n" + diff_views(theirs, ours))
    return problems


def _check_expectations(case: Case, server: str, the_view: dict) -> list[str]:
    problems = []
    got = statuses(the_view)
    if got != case.expected_status(server):
        problems.append(f"{server}: status {got}, expected {case.expected_status(server)}")
    calls = case.expected_calls(server)
    if calls is not None and the_view["calls"] != calls:
        problems.append(f"{server}: the app was called {the_view['calls']} times, "
                        f"expected {calls}")
    if case.refused(server):
        if any("echo" in r for r in the_view["responses"]):
            problems.append(f"{server}: a refused request was answered by the app")
        if not the_view["closed"]:
            problems.append(f"{server}: connection left open after refusing a request")
    override = case.override(server)
    if "closed" in override and the_view["closed"] != override["closed"]:
        problems.append(f"{server}: closed={the_view['closed']}, documented {override['closed']}")
    for key, value in override.get("response", {}).items():
        got_value = the_view["responses"][0].get(key) if the_view["responses"] else None
        if got_value != value:
            problems.append(f"{server}: response {key}={got_value!r}, documented {value!r}")
    for response in the_view["responses"]:
        environ = response.get("echo", {}).get("environ", {})
        for key, value in override.get("environ", {}).items():
            if environ.get(key) != value:
                problems.append(f"{server}: {key}={environ.get(key)!r}, documented {value!r}")
    return problems


def _strip_overrides(case: Case, the_view: dict) -> dict:
    """The view without the fields a documented difference covers."""
    both = [case.ours, case.gunicorn]
    copy = json.loads(json.dumps(the_view))
    for name in ("calls", "closed"):
        if any(name in side for side in both):
            copy.pop(name)
    for index, response in enumerate(copy["responses"]):
        if index == 0:
            for side in both:
                for name in side.get("response", {}):
                    response.pop(name, None)
        environ = response.get("echo", {}).get("environ")
        for side in both:
            for key in side.get("environ", {}):
                if environ is not None:
                    environ.pop(key, None)
    return copy


COMPUTED_LENGTH_RULE = (
    "A list or tuple body without a Content-Length from the app: wsgiserver computes "
    "Content-Length (PEP 3333 allows it; it also keeps HTTP/1.0 connections alive), "
    "gunicorn sends it chunked. Both frame the same bytes (RFC 9112 6); the body and its "
    "completeness are compared, the framing header is not.")


def _computed_length_rule(theirs: dict, ours: dict) -> bool:
    """Apply COMPUTED_LENGTH_RULE in place; True if it applied to any response."""
    applied = False
    for mine, other in zip(ours["responses"], theirs["responses"], strict=False):
        if other.get("framing") == "chunked" and mine.get("framing") == "length":
            for response in (mine, other):
                response["framing"] = "delimited"
                response.pop("content-length", None)
                response.pop("transfer-encoding", None)
            applied = True
    return applied


def diff_views(gunicorn: dict, ours: dict) -> str:
    a = json.dumps(gunicorn, indent=1, sort_keys=True).splitlines()
    b = json.dumps(ours, indent=1, sort_keys=True).splitlines()
    import difflib
    return "\n".join(difflib.unified_diff(a, b, "gunicorn", "wsgiserver", lineterm="", n=2))


# -- the servers ----------------------------------------------------------------------

def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    started = helpers.wait_until(lambda: helpers.port_open(port) or proc.poll() is not None,
                                 timeout)
    if proc.poll() is not None:
        raise RuntimeError(f"server exited with status {proc.returncode}")
    if not started:
        raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def app_calls(port: int) -> int:
    """Ask the parity app how many requests reached it (this request is not counted)."""
    request = b"GET /__parity__/calls HTTP/1.1\r\nHost: parity\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
        sock.sendall(request)
        response = reader(sock, time.monotonic() + READ_TIMEOUT * 2).read_response("GET")
    assert response and response.status == 200, f"calls endpoint answered {response}"
    return int(response.body)


class Gunicorn:
    """gunicorn (gthread, 4 threads, 1 worker) serving the parity app, as a subprocess."""

    name = "gunicorn"

    def __init__(self) -> None:
        self.port = helpers.free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="parity-gunicorn-", suffix=".log")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))
        env.pop("SCRIPT_NAME", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "4", "-w", "1",
             "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "--keep-alive", "1",
             "--log-level", "warning", "parity_app:application"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            wait_for_port(self.port, self.proc)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"gunicorn did not start:\n{self.output()}") from None

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        try:
            self.proc.terminate()  # SIGTERM: gunicorn's graceful stop
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        finally:
            self.log.close()


class WSGIServerUnderTest:
    """wsgiserver in this process (threads=4), serving the validated parity app."""

    name = "wsgiserver"

    def __init__(self) -> None:
        import parity_app

        from wsgiserver.testing import LiveServer
        self.live = LiveServer(parity_app.make_app(strict=True), threads=4).start()
        self.port = self.live.port

    def stop(self) -> None:
        self.live.stop()


def run_case(servers: dict, case: Case) -> dict[str, dict]:
    """Both servers' views of the case sent whole, then byte by byte:
    {"whole": {server: view}, "bytewise": {server: view}}."""
    result: dict[str, dict] = {"whole": {}, "bytewise": {}}
    for mode in ("whole", "bytewise"):
        for name, server in servers.items():
            before = app_calls(server.port)
            record = exchange(server.port, case, bytewise=(mode == "bytewise"))
            calls = app_calls(server.port) - before
            result[mode][name] = view(record, server.port, calls)
    return result


def strict_warnings() -> None:
    """wsgiref.validate's and WebTest lint's warnings become errors (as in conftest.py)."""
    import warnings
    from wsgiref.validate import WSGIWarning as ValidateWarning

    from webtest.lint import WSGIWarning as LintWarning
    warnings.filterwarnings("error", category=ValidateWarning)
    warnings.filterwarnings("error", category=LintWarning)
    warnings.filterwarnings("ignore", message="Unknown REQUEST_METHOD")


# Outcomes of the cases the pytest session ran, for test_parity_report.py.
OUTCOMES: dict[str, dict] = {}


def outcome(case: Case, result: dict) -> dict:
    """identical / difference / failing, with the problems, each side's statuses and
    whether COMPUTED_LENGTH_RULE was needed."""
    problems = case_problems(case, result)
    views = result["whole"]
    ours, theirs = (_strip_overrides(case, views[s]) for s in ("wsgiserver", "gunicorn"))
    rule = _computed_length_rule(theirs, ours)
    kind = "failing" if problems else ("difference" if case.difference else "identical")
    return {"kind": kind, "problems": problems, "computed_length": rule,
            "ours": statuses(views["wsgiserver"]), "gunicorn": statuses(views["gunicorn"])}


def case_problems(case: Case, result: dict) -> list[str]:
    problems = check_case(case, result["whole"])
    for name, whole in result["whole"].items():
        split = result["bytewise"][name]
        if split != whole:
            problems.append(f"{name}: byte-by-byte answer differs from the whole one:\n"
                            + diff_views(whole, split))
    return problems
