"""Raw-socket helpers shared by the live-server tests.

`Client` is one TCP (or unix) connection: `send` raw bytes, then
`read_response` parses exactly one response from the stream (status line,
headers, and a body framed by HEAD/1xx/204/304 rules, chunked,
Content-Length or connection close), so pipelined responses can be read one
after another. Its reading is `ResponseReader`'s, which the parity suite
(tests/parity) uses too, leniently. Every socket has a timeout, every loop
is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Iterable, Optional

TIMEOUT = 10.0
MAX_HEAD = 256 * 1024
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Response:
    def __init__(self, version: str, status: Optional[int], reason: str,
                 headers: list[tuple[str, str]], body: bytes, raw_head: bytes,
                 framing: str, complete: bool = True, garbage: bytes = b"") -> None:
        self.version = version
        self.status = status  # None only from a lenient reader: no status line came
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw_head = raw_head
        self.framing = framing  # "none", "chunked", "length" or "close"
        self.complete = complete  # False only from a lenient reader: the body was cut off
        self.garbage = garbage  # what came instead of a head (lenient reader)

    def header(self, name: str) -> Optional[str]:
        values = self.headers_named(name)
        return values[0] if values else None

    def headers_named(self, name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in self.headers if k.lower() == wanted]

    @property
    def closes(self) -> bool:
        return "close" in (self.header("Connection") or "").lower()

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.headers!r} body={self.body[:80]!r}>"


class ResponseReader:
    """Reads responses off a socket one at a time, so pipelined ones come apart.

    Strict (the default, for tests of this server): waiting longer than the
    socket's timeout raises TimeoutError, a connection that ends mid-response
    EOFError, and a response that breaks the framing rules AssertionError (a
    head over MAX_HEAD, a status that is not a number, a bad header line,
    Transfer-Encoding other than chunked or with Content-Length, a framing
    header sent twice, a chunk not ended by CRLF).

    Lenient (the parity suite, which records what any server does): nothing
    about the response raises. Each recv waits at most `timeout` and all of
    them end at `deadline`; `eof` and `timed_out` say why reading stopped. A
    body cut short comes back with `complete` False, and bytes that never make
    a head as a Response with status None and the bytes in `garbage`.
    `max_buffer` bounds what is held in either mode.
    """

    def __init__(self, sock: socket.socket, *, strict: bool = True,
                 timeout: Optional[float] = None, deadline: Optional[float] = None,
                 max_buffer: Optional[int] = None) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.strict = strict
        self.timeout = timeout if timeout is not None else TIMEOUT  # per recv, with a deadline
        self.deadline = deadline
        self.max_buffer = max_buffer
        self.eof = False
        self.timed_out = False

    # -- raw bytes --
    def more(self, size: int = 65536) -> bool:
        """One recv into buf; False at EOF (and, when lenient, on a wait that ran out)."""
        if self.eof or self.timed_out:
            return False
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                return False
            self.sock.settimeout(min(self.timeout, left))
        try:
            data = self.sock.recv(size)
        except TimeoutError:
            if self.strict:
                raise
            self.timed_out = True
            return False
        except (ConnectionResetError, BrokenPipeError):
            if self.strict:
                raise
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        if self.max_buffer is not None and len(self.buf) > self.max_buffer:
            raise AssertionError(f"more than {self.max_buffer} bytes of response")
        return True

    def read_until(self, marker: bytes, limit: Optional[int] = MAX_HEAD) -> Optional[bytes]:
        """Bytes up to and with marker; None if the stream ends first (lenient only)."""
        while True:
            index = self.buf.find(marker)
            if index >= 0:
                end = index + len(marker)
                data = bytes(self.buf[:end])
                del self.buf[:end]
                return data
            if limit is not None and len(self.buf) > limit:
                raise AssertionError(f"no {marker!r} within {limit} bytes")
            if not self.more():
                if self.strict:
                    raise EOFError(f"connection closed before {marker!r}; got {bytes(self.buf)!r}")
                return None

    def _take(self, count: int) -> tuple[bytes, bool]:
        """Up to count bytes, and whether they are all there (strict: they must be)."""
        while len(self.buf) < count and self.more(max(65536, count - len(self.buf))):
            pass
        if self.strict and len(self.buf) < count:
            raise EOFError(f"connection closed after {len(self.buf)} of {count} bytes")
        data = bytes(self.buf[:count])
        del self.buf[:len(data)]
        return data, len(data) == count

    def read_exact(self, count: int) -> bytes:
        return self._take(count)[0]

    def read_to_eof(self, limit: int = 200 * 2**20) -> bytes:
        while self.more():
            if len(self.buf) > limit:
                raise AssertionError("response larger than the limit")
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def wait_for_eof(self) -> bool:
        """Read until the peer closes or a wait runs out, keeping the bytes in buf."""
        while self.more():
            pass
        return self.eof

    # -- responses --
    def _head(self) -> Optional[Response]:
        raw = self.read_until(b"\r\n\r\n", MAX_HEAD if self.strict else None)
        if raw is None:
            return None
        lines = raw[:-4].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if self.strict:
                assert sep and name == name.strip(), f"bad header line {line!r}"
            headers.append((name, value.strip(" \t")))
        status = int(code) if self.strict or code.isdigit() else None
        return Response(version, status, reason, headers, b"", raw, "none")

    def read_head(self) -> tuple[str, int, str, list[tuple[str, str]], bytes]:
        response = self._head()
        return (response.version, response.status, response.reason, response.headers,
                response.raw_head)

    def read_response(self, method: str = "GET") -> Optional[Response]:
        """The next response; None (lenient only) if nothing more came."""
        response = self._head()
        if response is None:
            if self.buf:
                return Response("", None, "", [], b"", b"", "none", False, bytes(self.buf[:200]))
            return None
        status = response.status
        if method == "HEAD" or status is None or status in (204, 304) or status < 200:
            return response
        encodings = response.headers_named("Transfer-Encoding")
        lengths = response.headers_named("Content-Length")
        te = encodings[-1].lower() if encodings else ""
        if self.strict:
            assert te in ("", "chunked"), f"unexpected Transfer-Encoding {te!r}"
            assert not (te and lengths), "both TE and CL sent"
            assert len(encodings) <= 1 and len(lengths) <= 1, "a framing header sent twice"
        if "chunked" in te:
            response.framing = "chunked"
            response.body, response.complete = self._read_chunked()
        elif lengths:
            response.framing = "length"
            response.body, response.complete = self._take(int(lengths[-1]))
        else:
            response.framing = "close"
            response.body = self.read_to_eof()
            response.complete = self.eof
        return response

    def _read_chunked(self) -> tuple[bytes, bool]:
        body = bytearray()
        for _ in range(10_000_000):
            line = self.read_until(b"\r\n", 4096 if self.strict else None)
            if line is None:
                return bytes(body), False
            size_text = line.split(b";")[0].strip()
            size = int(size_text if self.strict else size_text or b"0", 16)
            if size == 0:
                while True:  # trailers, up to the blank line
                    trailer = self.read_until(b"\r\n", MAX_HEAD if self.strict else None)
                    if trailer is None:
                        return bytes(body), False
                    if trailer == b"\r\n":
                        return bytes(body), True
            data, complete = self._take(size + 2)
            body += data[:size]
            if not complete:
                return bytes(body), False
            if self.strict:
                assert data[size:] == b"\r\n", "chunk not followed by CRLF"
        raise AssertionError("too many chunks")


class Client(ResponseReader):
    """One connection to the server under test, read strictly."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 unix_path: Optional[str] = None, timeout: float = TIMEOUT) -> None:
        if unix_path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(unix_path)
        else:
            sock = socket.create_connection((host, port), timeout=timeout)
        super().__init__(sock)

    @classmethod
    def to(cls, server, **kwargs) -> Client:
        return cls(server.host, server.port, **kwargs)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, *args, method: str = "GET", **kwargs) -> Response:
        self.send(make_request(*args, method=method, **kwargs))
        return self.read_response(method)

    def is_closed(self, timeout: float = 5.0) -> bool:
        """True if the server closed the connection (EOF with nothing more to read)."""
        if self.buf:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(TIMEOUT)
        if data:
            self.buf += data
            return False
        return True


def make_request(target: str = "/", *, method: str = "GET", version: str = "HTTP/1.1",
                 headers: Iterable[tuple[str, str]] = (), body: bytes = b"",
                 host: Optional[str] = "test.local", content_length: bool = True) -> bytes:
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    names = set()
    for name, value in headers:
        names.add(name.lower())
        lines.append(f"{name}: {value}")
    if body and content_length and "content-length" not in names \
            and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(parts: Iterable[bytes], trailers: bytes = b"") -> bytes:
    out = bytearray()
    for part in parts:
        if part:
            out += b"%x\r\n%s\r\n" % (len(part), part)
    return bytes(out + b"0\r\n" + trailers + b"\r\n")


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def children_of(pid: int, live_only: bool = True) -> list[int]:
    """The children of `pid` (from /proc), without zombies unless `live_only` is False."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and (fields[0] != "Z" or not live_only):
            found.append(int(entry))
    return found


# -- the server as a subprocess (CLI tests) --

class ServerProcess:
    """`python -m wsgiserver ARGS` (or `python SCRIPT ARGS`) with its stdout and stderr
    collected line by line."""

    def __init__(self, args: list[str], *, cwd: Optional[str] = None,
                 env: Optional[dict] = None, python_flags: Iterable[str] = (),
                 script: Optional[str] = None) -> None:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = REPO + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, *python_flags, *([script] if script else ["-m", "wsgiserver"]),
             *args], cwd=cwd or REPO,
            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)  # its own process group: stop() ends its workers too
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [threading.Thread(target=self._collect, args=(pipe, lines), daemon=True)
                         for pipe, lines in ((self.proc.stdout, self.stdout),
                                             (self.proc.stderr, self.stderr))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(pipe, lines: list[str]) -> None:
        for line in iter(pipe.readline, b""):
            lines.append(line.decode("utf-8", "replace"))
        pipe.close()

    def wait_for_port(self, port: int, timeout: float = 10.0) -> None:
        ok = wait_until(lambda: port_open(port) or self.proc.poll() is not None, timeout)
        assert ok and self.proc.poll() is None, (
            f"server did not start (rc={self.proc.poll()}): {self.stderr_text}")

    def wait_for_stderr(self, text: str, timeout: float = 10.0) -> bool:
        return wait_until(lambda: text in self.stderr_text, timeout)

    def wait_for_stdout_lines(self, count: int, timeout: float = 10.0) -> bool:
        return wait_until(lambda: len(self.stdout) >= count, timeout)

    @property
    def stderr_text(self) -> str:
        return "".join(self.stderr)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 15.0) -> int:
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; then whatever is left of its group (workers)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # a worker its master left behind
        for reader in self._readers:
            reader.join(5)


@contextlib.contextmanager
def server_process(args: list[str], **kwargs):
    process = ServerProcess(args, **kwargs)
    try:
        yield process
    finally:
        process.stop()


def run_cli(args: list[str], *, cwd: Optional[str] = None, env: Optional[dict] = None,
            timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Run a command that should exit by itself (errors, --help, --version)."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = REPO + os.pathsep + full_env.get("PYTHONPATH", "")
    # The master binds before its workers load the app, so a command that fails on the
    # app has bound first: on a free port, not on 8000, which something may hold.
    full_env["PORT"] = str(free_port())
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "wsgiserver", *args], cwd=cwd or REPO,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


def read_all(stream, block: int = 65536) -> bytes:
    """Read wsgi.input to its end with sized reads (wsgiref.validate forbids read())."""
    parts = []
    for _ in range(10_000_000):
        data = stream.read(block)
        if not data:
            return b"".join(parts)
        parts.append(data)
    raise AssertionError("wsgi.input never ended")
