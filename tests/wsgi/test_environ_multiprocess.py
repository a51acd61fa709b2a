"""wsgi.multiprocess says whether other processes serve the same app (PEP 3333)."""

import json

import pytest

from tests.helpers import Client, free_port, server_process
from wsgiserver.server import WSGIServer
from wsgiserver.wsgi.environ import base_environ


@pytest.mark.parametrize(("workers", "expected"), [(1, False), (2, True), (4, True)])
def test_multiprocess_follows_the_worker_count(workers, expected):
    server = WSGIServer(None, bind=["127.0.0.1:0"], workers=workers, static_root=None)
    try:
        assert server.base_environ["wsgi.multiprocess"] is expected
    finally:
        server.loop.close()
        for sock in server.sockets:
            sock.close()


def test_base_environ_defaults_to_one_process():
    assert base_environ("h", "80", multithread=True)["wsgi.multiprocess"] is False
    assert base_environ("h", "80", multithread=False, multiprocess=True)["wsgi.multiprocess"]


def test_a_forked_worker_tells_the_app_it_is_one_of_several():
    port = free_port()
    with server_process(["apps.echo:application", "-w", "2", "-b", f"127.0.0.1:{port}",
                         "--static-root", "/nonexistent"]) as server:
        server.wait_for_port(port)
        with Client("127.0.0.1", port) as client:
            response = client.request("/anything")
        assert response.status == 200
        assert json.loads(response.body)["environ"]["wsgi.multiprocess"] is True
