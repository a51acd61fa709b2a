"""The header deadline (--header-timeout): RequestClock alone, then live.

A dribbler sends one byte every 0.3 s, far inside --read-timeout, which
restarts on every byte; only the header deadline, counted from the head's
first byte, can stop it.
"""

import socket

import pytest

from tests.dribbling import dribble
from tests.helpers import Client, make_request
from wsgiserver.net.deadlines import RequestClock
from wsgiserver.testing import live_server

HEAD = b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n"


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


# -- RequestClock, pure --

def test_head_clock_starts_at_the_first_byte_even_before_the_target():
    clock = RequestClock()
    clock.before_feed(10.0, reading_body=False, body_received=0)
    clock.after_feed(10.0, completed=False, in_message=False, reading_body=False)  # "\r\n" or "GE"
    clock.before_feed(12.0, reading_body=False, body_received=0)
    clock.after_feed(12.0, completed=False, in_message=True, reading_body=False)
    assert clock.head_started == 10.0
    assert not clock.head_late(20.0, header_timeout=10)
    assert clock.head_late(20.5, header_timeout=10)


def test_head_deadline_zero_is_off():
    clock = RequestClock()
    clock.before_feed(0.0, reading_body=False, body_received=0)
    assert not clock.head_late(1e9, header_timeout=0)


def test_a_completed_request_ends_the_head_clock_and_the_next_starts_fresh():
    clock = RequestClock()
    clock.before_feed(1.0, reading_body=False, body_received=0)
    clock.after_feed(1.0, completed=True, in_message=False, reading_body=False)
    assert clock.head_started is None  # a trailing CRLF after a request starts nothing
    clock.before_feed(50.0, reading_body=False, body_received=0)
    assert clock.head_started == 50.0


def test_a_pipelined_head_begun_in_the_same_feed_starts_now():
    clock = RequestClock()
    clock.before_feed(1.0, reading_body=False, body_received=0)
    clock.after_feed(3.0, completed=True, in_message=True, reading_body=False)
    assert clock.head_started == 3.0


def test_body_clock_starts_when_the_head_ends():
    clock = RequestClock()
    clock.before_feed(1.0, reading_body=False, body_received=0)
    clock.after_feed(2.0, completed=False, in_message=True, reading_body=True)
    assert clock.head_started is None
    assert clock.body_started == 2.0
    clock.before_feed(3.0, reading_body=True, body_received=0)
    clock.after_feed(3.0, completed=False, in_message=True, reading_body=True)
    assert clock.body_started == 2.0
    clock.after_feed(4.0, completed=True, in_message=False, reading_body=False)
    assert clock.body_started is None and clock.head_started is None


def test_body_rate_is_the_average_since_the_start_after_the_grace():
    clock = RequestClock()
    clock.after_feed(0.0, completed=False, in_message=True, reading_body=True)
    assert not clock.body_too_slow(4.9, 0, min_rate=100, grace=5)  # in the grace period
    assert clock.body_too_slow(5.1, 500, min_rate=100, grace=5)  # 500 < 510
    assert not clock.body_too_slow(5.1, 600, min_rate=100, grace=5)
    assert not clock.body_too_slow(60.0, 0, min_rate=0, grace=5)  # 0 = no minimum


def test_holding_restarts_both_clocks_and_counts_from_what_was_received():
    clock = RequestClock()
    clock.after_feed(0.0, completed=False, in_message=True, reading_body=True)
    clock.hold(30.0, body_received=1000)
    assert clock.body_too_slow(34.0, 1100, min_rate=100, grace=1)  # 100 bytes in 4 s
    assert not clock.body_too_slow(34.0, 1500, min_rate=100, grace=1)
    head = RequestClock()
    head.before_feed(0.0, reading_body=False, body_received=0)
    head.hold(30.0, body_received=0)
    assert not head.head_late(35.0, header_timeout=10)


def test_the_first_bytes_after_a_hold_restart_the_clocks():
    # The hold runs once a tick; the client can only resume once we read again.
    clock = RequestClock()
    clock.after_feed(0.0, completed=False, in_message=True, reading_body=True)
    clock.hold(10.0, body_received=0)  # e.g. no 100 Continue sent yet
    clock.before_feed(10.9, reading_body=True, body_received=0)
    assert clock.body_started == 10.9 and not clock.held
    clock.before_feed(11.5, reading_body=True, body_received=80)
    assert clock.body_started == 10.9  # only the first read after the hold


def test_a_tick_that_finds_the_server_reading_again_ends_the_hold():
    clock = RequestClock()
    clock.after_feed(0.0, completed=False, in_message=True, reading_body=True)
    clock.hold(10.0, body_received=0)
    clock.resume(11.0, body_received=0)
    assert not clock.body_too_slow(11.0, 0, min_rate=100, grace=1)
    assert clock.body_too_slow(12.5, 0, min_rate=100, grace=1)


# -- live --

def test_header_dribbler_gets_408_and_is_closed_at_the_header_deadline():
    with live_server(hello, header_timeout=1, read_timeout=5) as server, \
            socket.create_connection((server.host, server.port), timeout=5) as sock:
        result = dribble(sock, HEAD, interval=0.3, limit=4.5)
    assert result.closed, "the dribbler was never cut off"
    assert result.status == 408
    assert 0.9 < result.seconds < 4.5
    assert result.sent < len(HEAD)  # the head was never finished


def test_blank_lines_before_a_request_count_towards_the_header_deadline():
    # llhttp skips CRLFs before a request line without a callback: a client
    # could send them forever with only --keep-alive, which restarts too.
    with live_server(hello, header_timeout=1, read_timeout=5, keepalive=5) as server, \
            socket.create_connection((server.host, server.port), timeout=5) as sock:
        result = dribble(sock, b"\r\n" * 40, interval=0.3, limit=4.5)
    assert result.closed
    assert result.status == 408


def test_the_second_request_on_a_kept_alive_connection_has_its_own_deadline():
    with live_server(hello, header_timeout=1, read_timeout=5, keepalive=5) as server, \
            Client.to(server) as client:
        assert client.request("/first").status == 200
        result = dribble(client.sock, HEAD, interval=0.3, limit=4.5)
    assert result.closed
    assert result.status == 408
    assert 0.9 < result.seconds < 4.5


def test_the_deadline_starts_at_the_next_requests_first_byte_not_at_the_last_answer():
    with live_server(hello, header_timeout=1, keepalive=5) as server, \
            Client.to(server) as client:
        assert client.request("/first").status == 200
        assert client.is_closed(timeout=1.6) is False  # idle longer than header_timeout
        assert client.request("/second").status == 200


@pytest.mark.parametrize("threads", [4, 0])
def test_a_fast_client_is_unaffected(threads):
    with live_server(hello, threads=threads, header_timeout=1, min_body_rate=100,
                     min_body_rate_grace=0) as server, Client.to(server) as client:
        for _ in range(3):
            response = client.request("/", method="POST", body=b"x" * 100_000)
            assert response.status == 200
        client.send(make_request("/last", headers=[("Connection", "close")]))
        assert client.read_response().status == 200
