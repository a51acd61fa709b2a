"""Every setting gunicorn has, by its config-file name, with its command-line flags
and, for those wsgiserver lacks, the reason. A gunicorn name that is a setting of
ours (its name or an alias, see table.CANONICAL) is supported, whatever the reason
here says; so a setting added to the table with gunicorn's name counts at once.

It feeds the config-file loader (one warning line for an unsupported name) and
the options table of docs/parity.md (scripts/parity_report.py). Listed in the
order of gunicorn's own settings (gunicorn/config.py); tests/test_gunicorn_table.py
checks it against the gunicorn that is installed.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from .table import CANONICAL


class GunicornSetting(NamedTuple):
    name: str
    flags: tuple[str, ...]
    why_not: str  # why wsgiserver lacks it ("" where it never did)


LOG_IN_CODE = "configure `logging` in code"
NO_SYSLOG = "no syslog"
NO_PROXY_PROTOCOL = "no PROXY protocol"
NO_UWSGI = "HTTP only (no uwsgi protocol)"
NO_TLS = "no TLS: terminate TLS in a proxy in front"
NO_HTTP2 = "no HTTP/2"
WSGI_ONLY = "WSGI only"
NO_DIRTY = "no dirty worker pool"

_TABLE = (
    ("config", "-c --config", ""),
    ("wsgi_app", "", ""),
    ("bind", "-b --bind", ""),
    ("backlog", "--backlog", ""),
    ("workers", "-w --workers", ""),
    ("worker_class", "-k --worker-class",
     "one worker model: an epoll loop plus a thread pool (--threads)"),
    ("threads", "--threads", ""),
    ("worker_connections", "--worker-connections", ""),
    ("max_requests", "--max-requests", ""),
    ("max_requests_jitter", "--max-requests-jitter", ""),
    ("timeout", "-t --timeout", ""),
    ("graceful_timeout", "--graceful-timeout", ""),
    ("keepalive", "--keep-alive", ""),
    ("limit_request_line", "--limit-request-line", ""),
    ("limit_request_fields", "--limit-request-fields", ""),
    ("limit_request_field_size", "--limit-request-field_size", ""),
    ("reload", "--reload", ""),
    ("reload_engine", "--reload-engine", ""),
    ("reload_extra_files", "--reload-extra-file", ""),
    ("spew", "--spew", "no line tracing"),
    ("check_config", "--check-config", ""),
    ("print_config", "--print-config", ""),
    ("preload_app", "--preload", ""),
    ("sendfile", "--no-sendfile", ""),
    ("reuse_port", "--reuse-port", ""),
    ("chdir", "--chdir", ""),
    ("daemon", "-D --daemon", ""),
    ("raw_env", "-e --env", ""),
    ("pidfile", "-p --pid", ""),
    ("worker_tmp_dir", "--worker-tmp-dir", "no heartbeat files"),
    ("user", "-u --user", ""),
    ("group", "-g --group", ""),
    ("umask", "-m --umask", ""),
    ("initgroups", "--initgroups",
     "workers switched by --user/--group keep only that group, never the user's others"),
    ("tmp_upload_dir", "", "request bodies over 1 MiB spool to the system temp folder"),
    ("secure_scheme_headers", "",
     "the scheme headers are fixed: X-Forwarded-Proto, -Protocol and -SSL, as gunicorn's "
     "default"),
    ("forwarded_allow_ips", "--forwarded-allow-ips", ""),
    ("accesslog", "--access-logfile", ""),
    ("disable_redirect_access_to_syslog", "--disable-redirect-access-to-syslog", NO_SYSLOG),
    ("access_log_format", "--access-logformat", "one fixed access-log line format"),
    ("errorlog", "--error-logfile --log-file", "the error log goes to stderr"),
    ("loglevel", "--log-level", ""),
    ("capture_output", "--capture-output", "stdout and stderr are not redirected"),
    ("logger_class", "--logger-class",
     "logging is the standard `logging` module; configure it in code"),
    ("logconfig", "--log-config", LOG_IN_CODE),
    ("logconfig_dict", "", LOG_IN_CODE),
    ("logconfig_json", "--log-config-json", LOG_IN_CODE),
    ("syslog_addr", "--log-syslog-to", NO_SYSLOG),
    ("syslog", "--log-syslog", NO_SYSLOG),
    ("syslog_prefix", "--log-syslog-prefix", NO_SYSLOG),
    ("syslog_facility", "--log-syslog-facility", NO_SYSLOG),
    ("enable_stdio_inheritance", "-R --enable-stdio-inheritance", "stdio is always inherited"),
    ("statsd_host", "--statsd-host", ""),
    ("dogstatsd_tags", "--dogstatsd-tags", ""),
    ("statsd_prefix", "--statsd-prefix", ""),
    ("enable_backlog_metric", "--enable-backlog-metric",
     "no gunicorn.backlog histogram (the accept queue is not sampled)"),
    ("proc_name", "-n --name", ""),
    ("default_proc_name", "", "without --name the processes keep their command line"),
    ("pythonpath", "--pythonpath", ""),
    ("paste", "--paste --paster", ""),
    ("on_starting", "", ""),
    ("on_reload", "", ""),
    ("when_ready", "", ""),
    ("pre_fork", "", ""),
    ("post_fork", "", ""),
    ("post_worker_init", "", ""),
    ("worker_int", "", ""),
    ("worker_abort", "", ""),
    ("pre_exec", "", ""),
    ("pre_request", "", ""),
    ("post_request", "", ""),
    ("child_exit", "", ""),
    ("worker_exit", "", ""),
    ("nworkers_changed", "", ""),
    ("on_exit", "", ""),
    ("ssl_context", "", NO_TLS),
    ("proxy_protocol", "--proxy-protocol", NO_PROXY_PROTOCOL),
    ("proxy_allow_ips", "--proxy-allow-from", NO_PROXY_PROTOCOL),
    ("protocol", "--protocol", NO_UWSGI),
    ("uwsgi_allow_ips", "--uwsgi-allow-from", NO_UWSGI),
    ("keyfile", "--keyfile", NO_TLS),
    ("certfile", "--certfile", NO_TLS),
    ("ssl_version", "--ssl-version", NO_TLS),
    ("cert_reqs", "--cert-reqs", NO_TLS),
    ("ca_certs", "--ca-certs", NO_TLS),
    ("suppress_ragged_eofs", "--suppress-ragged-eofs", NO_TLS),
    ("do_handshake_on_connect", "--do-handshake-on-connect", NO_TLS),
    ("ciphers", "--ciphers", NO_TLS),
    ("http_protocols", "--http-protocols", "HTTP/1.0 and 1.1 only"),
    ("http2_cleartext", "--http2-cleartext", NO_HTTP2),
    ("http2_max_concurrent_streams", "--http2-max-concurrent-streams", NO_HTTP2),
    ("http2_initial_window_size", "--http2-initial-window-size", NO_HTTP2),
    ("http2_max_frame_size", "--http2-max-frame-size", NO_HTTP2),
    ("http2_max_header_list_size", "--http2-max-header-list-size", NO_HTTP2),
    ("raw_paste_global_conf", "--paste-global", "no PasteDeploy global_conf variables"),
    ("permit_obsolete_folding", "--permit-obsolete-folding",
     "obsolete line folding is always refused (RFC 9112 5.2)"),
    ("strip_header_spaces", "--strip-header-spaces",
     "a space before a field's colon is always refused (RFC 9112 5.1)"),
    ("permit_unconventional_http_method", "--permit-unconventional-http-method",
     "methods are those llhttp knows"),
    ("permit_unconventional_http_version", "--permit-unconventional-http-version",
     "only HTTP/1.x is served"),
    ("casefold_http_method", "--casefold-http-method",
     "methods are case-sensitive (RFC 9110 9.1)"),
    ("forwarder_headers", "--forwarder-headers", "no trusted-proxy headers"),
    ("header_map", "--header-map",
     "always gunicorn's default, drop: a field name with '_' is dropped"),
    ("asgi_loop", "--asgi-loop", WSGI_ONLY),
    ("asgi_lifespan", "--asgi-lifespan", WSGI_ONLY),
    ("asgi_disconnect_grace_period", "--asgi-disconnect-grace-period", WSGI_ONLY),
    ("websocket_max_message_size", "--websocket-max-message-size", "no WebSocket"),
    ("http_parser", "--http-parser", "always llhttp (httptools)"),
    ("root_path", "--root-path", "WSGI only (ASGI root path)"),
    ("dirty_apps", "--dirty-app", NO_DIRTY),
    ("dirty_workers", "--dirty-workers", NO_DIRTY),
    ("dirty_timeout", "--dirty-timeout", NO_DIRTY),
    ("dirty_threads", "--dirty-threads", NO_DIRTY),
    ("dirty_graceful_timeout", "--dirty-graceful-timeout", NO_DIRTY),
    ("on_dirty_starting", "", NO_DIRTY),
    ("dirty_post_fork", "", NO_DIRTY),
    ("dirty_worker_init", "", NO_DIRTY),
    ("dirty_worker_exit", "", NO_DIRTY),
    ("control_socket", "--control-socket", ""),
    ("control_socket_mode", "--control-socket-mode", ""),
    ("control_socket_disable", "--no-control-socket",
     "not needed: the control socket is off unless --control-socket is given"),
)

GUNICORN: tuple[GunicornSetting, ...] = tuple(
    GunicornSetting(name, tuple(flags.split()), why) for name, flags, why in _TABLE)
GUNICORN_BY_NAME = {setting.name: setting for setting in GUNICORN}
assert len(GUNICORN_BY_NAME) == len(GUNICORN), "a gunicorn setting is listed twice"


def ours(name: str) -> Optional[str]:
    """Our setting for gunicorn's setting `name`, or None where we lack it."""
    return CANONICAL.get(name)


def why_not(name: str) -> str:
    """Why a gunicorn setting is not one of ours ("" for a name gunicorn lacks)."""
    setting = GUNICORN_BY_NAME.get(name)
    if setting is None:
        return ""
    return setting.why_not or "not supported yet"
