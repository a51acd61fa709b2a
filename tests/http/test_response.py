"""Sans-IO response framing (response.build_head)."""

import pytest

from wsgiserver.http import response


def head(status="200 OK", headers=(), method="GET", version="HTTP/1.1", keep_alive=True,
         length_hint=None):
    return response.build_head(status, list(headers), method=method, version=version,
                               keep_alive=keep_alive, length_hint=length_hint)


def header_lines(result):
    return result.data.decode("latin-1").split("\r\n")


def test_known_length_is_sent_as_content_length():
    result = head(length_hint=5)
    assert result.framing == response.LENGTH
    assert "Content-Length: 5" in header_lines(result)


def test_app_content_length_wins_over_the_hint():
    result = head(headers=[("Content-Length", "3")], length_hint=5)
    assert result.content_length == 3
    assert header_lines(result).count("Content-Length: 3") == 1


def test_unknown_length_is_chunked_on_http11_and_close_on_http10():
    assert head().framing == response.CHUNKED
    assert "Transfer-Encoding: chunked" in header_lines(head())
    result = head(version="HTTP/1.0")
    assert result.framing == response.CLOSE and result.keep_alive is False
    assert "Connection: close" in header_lines(result)


def test_http10_keep_alive_is_announced():
    assert "Connection: keep-alive" in header_lines(head(version="HTTP/1.0", length_hint=1))


@pytest.mark.parametrize("status,method", [("204 No Content", "GET"), ("304 Not Modified", "GET"),
                                           ("200 OK", "HEAD")])
def test_bodyless_responses_are_never_chunked(status, method):
    result = head(status=status, method=method)
    assert result.framing == response.NO_BODY
    assert "Transfer-Encoding: chunked" not in header_lines(result)


def test_hop_by_hop_headers_from_the_app_are_dropped_and_close_is_honoured():
    result = head(headers=[("Transfer-Encoding", "chunked"), ("Keep-Alive", "timeout=5"),
                           ("Connection", "close")], length_hint=0)
    lines = header_lines(result)
    assert result.keep_alive is False
    assert "Keep-Alive: timeout=5" not in lines and "Transfer-Encoding: chunked" not in lines
    assert lines.count("Connection: close") == 1


@pytest.mark.parametrize("name,value", [("X-A", "1\r\nSet-Cookie: evil=1"), ("X-A", "a\nb"),
                                        ("X A", "1"), ("X:A", "1"), ("", "1"), ("X-A", "\0")])
def test_header_injection_is_refused(name, value):
    with pytest.raises(ValueError):
        head(headers=[(name, value)])


@pytest.mark.parametrize("status", ["200", "OK", "20 OK", "abc OK", "099 Low", 200, "200OK",
                                    "200 OK\r\nSet-Cookie: x=1", "200 OK\n", "200 O\0K",
                                    b"200 OK"])
def test_invalid_status_is_refused(status):
    with pytest.raises(ValueError):
        head(status=status)


def test_valid_status_lines_are_memoised_and_the_memo_is_bounded():
    for code in range(200, 600):
        assert response.status_code_of(f"{code} Reason") == code
        assert response.status_code_of(f"{code} Reason") == code  # from the memo
    assert len(response._status_codes) <= 256
    with pytest.raises(ValueError):
        response.status_code_of("2OO OK")  # never memoised, so still refused


def test_date_and_server_are_added_once():
    lines = header_lines(head(length_hint=0))
    assert sum(line.startswith("Date: ") for line in lines) == 1
    assert sum(line.startswith("Server: wsgiserver/") for line in lines) == 1
    lines = header_lines(head(headers=[("Server", "mine")], length_hint=0))
    assert [line for line in lines if line.startswith("Server")] == ["Server: mine"]


def test_error_response_is_complete_and_closes():
    data = response.error_response(400, "Bad Request", "bad header")
    head_part, _, body = data.partition(b"\r\n\r\n")
    assert head_part.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"Connection: close" in head_part
    assert b"Content-Length: %d" % len(body) in head_part


def test_app_heads_are_memoised_but_still_checked():
    first = response.app_head("200 OK", [("Content-Type", "text/plain")], method="GET",
                              version="HTTP/1.1", keep_alive=True, length_hint=5, code=200)
    again = response.app_head("200 OK", [("Content-Type", "text/plain")], method="GET",
                              version="HTTP/1.1", keep_alive=True, length_hint=5, code=200)
    assert again.data == first.data
    other = response.app_head("200 OK", [("Content-Type", "text/html")], method="GET",
                              version="HTTP/1.1", keep_alive=True, length_hint=5, code=200)
    assert b"text/html" in other.data
    with pytest.raises(ValueError):
        response.app_head("200 OK", [("X-A", "1\r\nX-B: 2")], method="GET",
                          version="HTTP/1.1", keep_alive=True, length_hint=5, code=200)
    with pytest.raises(ValueError):  # unhashable items skip the memo, not the check
        response.app_head("200 OK", [["X-A", "1\r\n"]], method="GET",
                          version="HTTP/1.1", keep_alive=True, length_hint=5, code=200)
