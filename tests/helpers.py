"""Raw-socket helpers shared by the live-server tests.

`Client` is one TCP (or unix) connection: `send` raw bytes, then
`read_response` parses exactly one response from the stream (status line,
headers, and a body framed by HEAD/1xx/204/304 rules, chunked,
Content-Length or connection close), so pipelined responses can be read one
after another. Every socket has a timeout, every loop is bounded.
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
    def __init__(self, version: str, status: int, reason: str,
                 headers: list[tuple[str, str]], body: bytes, raw_head: bytes,
                 framing: str) -> None:
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw_head = raw_head
        self.framing = framing  # "none", "chunked", "length" or "close"

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


class Client:
    """One connection to the server under test."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 unix_path: Optional[str] = None, timeout: float = TIMEOUT) -> None:
        if unix_path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()

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

    # -- low level reads --
    def _fill(self, size: int = 65536) -> bool:
        data = self.sock.recv(size)
        if not data:
            return False
        self.buf += data
        return True

    def read_until(self, marker: bytes, limit: int = MAX_HEAD) -> bytes:
        while True:
            index = self.buf.find(marker)
            if index >= 0:
                end = index + len(marker)
                data = bytes(self.buf[:end])
                del self.buf[:end]
                return data
            if len(self.buf) > limit:
                raise AssertionError(f"no {marker!r} within {limit} bytes")
            if not self._fill():
                raise EOFError(f"connection closed before {marker!r}; got {bytes(self.buf)!r}")

    def read_exact(self, count: int) -> bytes:
        while len(self.buf) < count:
            if not self._fill(max(65536, count - len(self.buf))):
                raise EOFError(f"connection closed after {len(self.buf)} of {count} bytes")
        data = bytes(self.buf[:count])
        del self.buf[:count]
        return data

    def read_to_eof(self, limit: int = 200 * 2**20) -> bytes:
        while self._fill():
            if len(self.buf) > limit:
                raise AssertionError("response larger than the limit")
        data = bytes(self.buf)
        self.buf.clear()
        return data

    # -- responses --
    def read_head(self) -> tuple[str, int, str, list[tuple[str, str]], bytes]:
        raw = self.read_until(b"\r\n\r\n")
        lines = raw[:-4].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            assert sep and name == name.strip(), f"bad header line {line!r}"
            headers.append((name, value.strip(" \t")))
        return version, int(code), reason, headers, raw

    def read_response(self, method: str = "GET") -> Response:
        version, status, reason, headers, raw = self.read_head()
        response = Response(version, status, reason, headers, b"", raw, "none")
        if method == "HEAD" or status in (204, 304) or status < 200:
            return response
        te = (response.header("Transfer-Encoding") or "").lower()
        if te:
            assert te == "chunked", f"unexpected Transfer-Encoding {te!r}"
            assert response.header("Content-Length") is None, "both TE and CL sent"
            response.body, response.framing = self._read_chunked(), "chunked"
        elif response.header("Content-Length") is not None:
            response.body = self.read_exact(int(response.header("Content-Length")))
            response.framing = "length"
        else:
            response.body, response.framing = self.read_to_eof(), "close"
        return response

    def _read_chunked(self) -> bytes:
        body = bytearray()
        for _ in range(10_000_000):
            line = self.read_until(b"\r\n", limit=4096)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while self.read_until(b"\r\n", limit=MAX_HEAD) != b"\r\n":
                    pass  # trailers
                return bytes(body)
            body += self.read_exact(size)
            assert self.read_exact(2) == b"\r\n", "chunk not followed by CRLF"
        raise AssertionError("too many chunks")

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


# -- the server as a subprocess (CLI tests) --

class ServerProcess:
    """`python -m wsgiserver ARGS` with its stdout and stderr collected line by line."""

    def __init__(self, args: list[str], *, cwd: Optional[str] = None,
                 env: Optional[dict] = None, python_flags: Iterable[str] = ()) -> None:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = REPO + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, *python_flags, "-m", "wsgiserver", *args], cwd=cwd or REPO,
            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
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
