"""Event-loop and listener behaviour that needs no HTTP."""

import errno
import socket

from wsgiserver.net.listeners import Listener, parse_bind
from wsgiserver.net.loop import IN, EventLoop


class FailingSocket:
    """A listening socket whose accept() fails as when out of file descriptors."""

    def __init__(self, real):
        self.real = real

    def fileno(self):
        return self.real.fileno()

    def accept(self):
        raise OSError(errno.EMFILE, "Too many open files")


def test_listener_stops_listening_on_emfile_and_resumes_next_tick():
    loop = EventLoop()
    real = socket.socket()
    real.bind(("127.0.0.1", 0))
    real.listen()
    listener = Listener(FailingSocket(real), on_client=lambda sock, addr: None)
    listener.start(loop)
    listener.on_events(IN)
    assert real.fileno() not in loop.handlers  # no busy loop on a readable listener
    loop._run_timers(0.0)
    assert loop.handlers[real.fileno()] is listener
    real.close()
    loop.close()


def test_call_soon_threadsafe_runs_callbacks_in_order():
    loop = EventLoop()
    seen = []
    loop.call_soon_threadsafe(seen.append, 1)
    loop.call_soon_threadsafe(seen.append, 2)
    loop._dispatch(loop.epoll.poll(0))
    loop._run_calls()
    assert seen == [1, 2]
    loop.close()


def test_parse_bind_forms():
    assert parse_bind("127.0.0.1:80") == (socket.AF_INET, "127.0.0.1", 80)
    assert parse_bind(":8080") == (socket.AF_INET, "0.0.0.0", 8080)
    assert parse_bind("[::1]:9000") == (socket.AF_INET6, "::1", 9000)
    assert parse_bind("unix:/tmp/a.sock") == ("unix", "/tmp/a.sock")
