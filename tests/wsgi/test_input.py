"""wsgi.input for a streamed body (wsgiserver.wsgi.input.StreamingBody), without a server."""

from wsgiserver.wsgi.input import BACKLOG_HIGH, StreamingBody


def test_first_read_callback_runs_without_the_body_lock():
    """The 100-continue callback takes the connection lock: never under the body's."""
    body = StreamingBody()
    lock_was_free = []

    def on_first_read():
        lock_was_free.append(body._cond.acquire(blocking=False))
        if lock_was_free[-1]:
            body._cond.release()
        body.write(b"data")
        body.finish()

    body.set_callbacks(on_first_read)
    assert body.read() == b"data"
    assert lock_was_free == [True]


def test_streaming_body_reports_when_the_app_caught_up():
    drained = []
    body = StreamingBody()
    body.set_callbacks(lambda: None, lambda: drained.append(True))
    body.write(b"x" * (BACKLOG_HIGH + 1))
    assert body.full
    body.read(BACKLOG_HIGH)
    assert drained == [True]
