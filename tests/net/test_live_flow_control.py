"""Flow control against clients that do not read their responses."""

import os
import socket
import threading

import pytest

from tests.helpers import make_request, wait_until
from wsgiserver.testing import live_server


def open_fds_on(path):
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == path:
                count += 1
        except OSError:
            continue
    return count


@pytest.mark.parametrize("threads", [0, 4])
def test_pipelined_big_files_never_pin_many_file_descriptors(tmp_path, threads):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(4 * 2**20))
    with live_server(None, static_root=str(tmp_path), threads=threads) as server:
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(make_request("/big.bin") * 200)  # and never read
        assert wait_until(lambda: open_fds_on(str(big)) >= 1, 5)
        threading.Event().wait(1.0)  # let the server go as far as it would
        assert open_fds_on(str(big)) <= 2
        sock.close()
        assert wait_until(lambda: open_fds_on(str(big)) == 0, 10)


class Endless:
    """A streaming app whose response never ends; records close()."""

    def __init__(self):
        self.closed = threading.Event()

    def __call__(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return self

    def __iter__(self):
        chunk = b"x" * 65536
        while not self.closed.is_set():
            yield chunk

    def close(self):
        self.closed.set()


@pytest.mark.parametrize("threads", [0, 4])
def test_a_client_that_stops_reading_is_dropped_after_the_read_timeout(threads):
    app = Endless()
    with live_server(app, threads=threads, read_timeout=1) as server:
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(make_request("/stream"))
        # The worker blocks on backpressure (or the inline task pauses); the
        # timeout must still close the connection and close() the iterable.
        assert app.closed.wait(10)
        sock.close()
