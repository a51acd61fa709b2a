"""Issue 3 benchmark: static files, our server vs nginx.

    python bench/static.py [-d 10] [--servers ours,nginx] [--files small,large]

Generates a 2 KB ``index.html`` and a 1 MB ``large.bin`` into a temporary static
root, then runs wrk (keep-alive, 50 connections) on each against our server in
static-only mode (no app) and against nginx (1 worker process, sendfile on, access
log off, keepalive_requests 100000; config written into the temp dir). Servers
run on one core, wrk on the other. Goals: small >= 0.7x nginx, 1 MB >= 0.9x nginx.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SERVERS = ["ours", "nginx"]
SMALL_SIZE = 2 * 1024
LARGE_SIZE = 1024 * 1024
FILES = {
    "small": common.Target("small 2KB", "/index.html", expect_length=SMALL_SIZE),
    "large": common.Target("large 1MB", "/large.bin", expect_length=LARGE_SIZE),
}
GOALS = {"small": 0.7, "large": 0.9}

NGINX_CONF = """\
worker_processes 1;
{user}pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    types {{
        text/html html;
        application/octet-stream bin;
    }}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
{open_file_cache}    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""
OPEN_FILE_CACHE = "    open_file_cache max=1000 inactive=20s;\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser)
    parser.add_argument("--servers", type=common.selection(SERVERS), default=SERVERS,
                        help=f"comma-separated subset of {','.join(SERVERS)}")
    parser.add_argument("--files", type=common.selection(list(FILES)), default=list(FILES),
                        help=f"comma-separated subset of {','.join(FILES)}")
    parser.add_argument("--nginx-open-file-cache", action="store_true",
                        help="also enable nginx's open_file_cache (off in Debian's default)")
    return parser


def make_static_root(root: Path) -> None:
    """Write a 2 KB HTML page and a 1 MB binary file into ``root``."""
    head = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>bench</title></head>\n"
    tail = "</body></html>\n"
    filler = "<p>wsgiserver static file benchmark page.</p>\n"
    body = head + "<body>\n"
    padding = len("<!---->\n") + len(tail)
    while len(body) + len(filler) + padding <= SMALL_SIZE:
        body += filler
    body += "<!--" + "x" * (SMALL_SIZE - len(body) - padding) + "-->\n" + tail
    (root / "index.html").write_text(body)
    (root / "large.bin").write_bytes(os.urandom(LARGE_SIZE))
    assert (root / "index.html").stat().st_size == SMALL_SIZE


def nginx_spec(tmp: Path, root: Path, open_file_cache: bool) -> common.ServerSpec:
    """nginx in the foreground with a config, pid and logs inside ``tmp``."""
    conf = tmp / "nginx.conf"

    def build(port: int) -> list[str]:
        conf.write_text(NGINX_CONF.format(
            tmp=tmp, root=root, port=port,
            user="user root;\n" if os.geteuid() == 0 else "",  # workers can read tmp (0700)
            open_file_cache=OPEN_FILE_CACHE if open_file_cache else ""))
        return ["nginx", "-c", str(conf), "-g", "daemon off;"]

    return common.ServerSpec("nginx", build, command=f"nginx -c {conf} -g 'daemon off;'")


def server_specs(names: list[str], tmp: Path, root: Path,
                 open_file_cache: bool) -> list[common.ServerSpec]:
    specs = {
        "ours": common.ours_spec("ours", None, ("--static-root", str(root))),
        "nginx": nginx_spec(tmp, root, open_file_cache),
    }
    return [specs[name] for name in names]


def run(argv: Optional[list[str]] = None) -> common.Report:
    opts = build_parser().parse_args(argv)
    common.prepare(opts)
    if "nginx" in opts.servers:
        common.ensure_apt("nginx", "nginx-light")
    with tempfile.TemporaryDirectory(prefix="wsgiserver-bench-") as tmpdir:
        tmp = Path(tmpdir)
        root = tmp / "static"
        root.mkdir()
        make_static_root(root)
        specs = server_specs(opts.servers, tmp, root, opts.nginx_open_file_cache)
        rows = common.run_matrix(specs, [FILES[f] for f in opts.files], opts, "static")
    ratios = [common.Ratio(f"ours / nginx, {FILES[f].name}", FILES[f].name, "ours", "nginx",
                           GOALS[f]) for f in opts.files]
    return common.make_report(
        opts, "static", "Static files: wsgiserver vs nginx (issue 3)", specs, rows, ratios,
        {"nginx_open_file_cache": opts.nginx_open_file_cache},
        {"nginx": common.tool_version(["nginx", "-v"])})


def main(argv: Optional[list[str]] = None) -> int:
    return common.main_wrapper(run, argv)


if __name__ == "__main__":
    sys.exit(main())
