"""Regenerate docs/parity.md from the parity suite (tests/parity).

    python scripts/parity_report.py           run every case against both servers, write the report
    python scripts/parity_report.py --check   exit 1 if docs/parity.md differs from what a run gives

It starts gunicorn and wsgiserver exactly as the suite does, runs the case
table (tests/parity/cases/*.toml) whole and byte by byte, counts identical
cases, documented differences and failures, and lists every gunicorn setting
next to ours, from the settings tables (wsgiserver/settings/, with gunicorn's in
wsgiserver/settings/gunicorn.py). tests/parity/test_parity_report.py fails when
the file is stale.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARITY = REPO / "tests" / "parity"
REPORT = REPO / "docs" / "parity.md"
for path in (str(REPO), str(PARITY)):
    if path not in sys.path:
        sys.path.insert(0, path)

import parity_harness as harness  # noqa: E402

from wsgiserver.settings import SETTINGS, SETTINGS_BY_NAME  # noqa: E402
from wsgiserver.settings.gunicorn import GUNICORN, GUNICORN_BY_NAME, ours  # noqa: E402

# Notes on options both servers have, where the meaning is not quite the same.
SAME_NAME_NOTES = {
    "--access-logformat": "gunicorn's atoms and default; the same lines for the same "
                          "requests (tests/observe/test_access_vs_gunicorn.py); refused "
                          "requests are logged too",
    "--error-logfile": "same; also --log-file; '-' is stderr",
    "--capture-output": "same: fds 1 and 2 onto the error log file; USR1 reopens it",
    "--log-config": "logging.config.fileConfig, as gunicorn; our loggers are "
                    "wsgiserver.error and wsgiserver.access",
    "--log-config-json": "dictConfig over defaults for wsgiserver.error/access, as gunicorn",
    "--log-syslog": "SysLogHandler; lines are wsgiserver[.PREFIX].error|access: [pid] ...",
    "--bind": "HOST:PORT, [IPV6]:PORT or unix:PATH, repeatable, as gunicorn",
    "--workers": "pre-forked processes sharing the listening sockets",
    "--forwarded-allow-ips": "same default (127.0.0.1,::1) and the same three scheme headers; "
                             "REMOTE_ADDR is never rewritten; these addresses are also "
                             "exempt from --limit-per-client",
    "--threads": "app threads per process; 0 runs the app on the event loop",
    "--keep-alive": "idle seconds; default 5 (gunicorn 2)",
    "--limit-request-line": "same default, 4094, but counts the request target; "
                            "gunicorn counts the whole request line",
    "--limit-request-fields": "same default, 100; more gives 431",
    "--limit-request-field_size": "same default, 8190; larger gives 431",
    "--graceful-timeout": "same meaning and default, 30",
    "--backlog": "same meaning and default, 2048",
    "--access-logfile": "same; '-' is stdout",
    "--log-level": "same levels",
    "--config": "a Python file of `name = value` lines with gunicorn's names, or "
                "python:MODULE; without -c, ./wsgiserver.conf.py, else ./gunicorn.conf.py",
    "--check-config": "also loads the app; exit 0, or 2 with one line per problem",
    "--print-config": "every setting as `name = value  # origin` (default, file, env, cli)",
    "--paste": "PasteDeploy ini's [app:main]; `use = egg:wsgiserver` serves a "
               "[server:main]; extra `wsgiserver[paste]`",
    "--no-sendfile": "read() and send() instead of os.sendfile, for static files and "
                     "wsgi.file_wrapper",
    "--reuse-port": "SO_REUSEPORT on every TCP listening socket",
    "--pid": "refused while a live process holds it; during USR2 the new master writes "
             "FILE.2, which the old master renames onto FILE as it exits",
    "--user": "the workers switch, the master keeps its identity, as gunicorn",
    "--group": "the workers switch, keeping no other supplementary group",
    "--umask": "the whole process's umask (gunicorn: only around binding); 022 is octal",
    "--name": "titles need setproctitle (extra `proctitle`); without it one info line",
    "--daemon": "detaches after binding, so a bind or app error still shows; exit 2",
}
# Our options gunicorn has nothing like, and what they are for.
STATIC_NOTE = "static files are served by the server itself; gunicorn serves only the app"
OURS_ONLY = {
    "--read-timeout": "a started request may stall this long before 408; gunicorn's "
                      "--timeout is a worker heartbeat instead",
    "--header-timeout": "the whole request head must arrive in time however it is dribbled "
                        "(nginx's client_header_timeout); gunicorn has no such deadline",
    "--min-body-rate": "a body slower than this after the grace period gets 408 (Kestrel's "
                       "minimum data rate); gunicorn has no such deadline",
    "--min-body-rate-grace": "the grace period of --min-body-rate",
    "--limit-request-header-size": "a cap on the whole request head, 431 above it (nginx's "
                                   "large_client_header_buffers); gunicorn caps only each "
                                   "field and their number",
    "--limit-per-client": "at most N open connections per client address, proxies in "
                          "--forwarded-allow-ips and unix-socket peers exempt, the rest "
                          "closed at once; gunicorn has no per-client cap",
    "--limit-request-body": "413 above it; gunicorn does not limit request bodies",
    "--metrics-bind": "a Prometheus page on a bind of its own, summed over the workers; "
                      "gunicorn sends statsd only",
    "--static-root": STATIC_NOTE,
    "--static-url": STATIC_NOTE,
    "--dynamic-suffix": STATIC_NOTE,
    "--static-max-age": STATIC_NOTE,
    "--static-cache-seconds": STATIC_NOTE,
    "--autoindex": STATIC_NOTE,
    "--follow-symlinks": STATIC_NOTE,
}


# -- command-line options ----------------------------------------------------------

def long_flag(flags: tuple[str, ...]) -> str:
    return next((flag for flag in flags if flag.startswith("--")), flags[0] if flags else "")


def options_rows() -> list[tuple[str, str, str]]:
    """(gunicorn's flag or name, ours or 'not supported', note) for every gunicorn setting,
    from gunicorn's table (wsgiserver/settings/gunicorn.py) and our settings table."""
    rows = []
    for theirs in GUNICORN:
        label = long_flag(theirs.flags) or theirs.name
        name = ours(theirs.name)
        if name is None:
            rows.append((label, "not supported", theirs.why_not or "not supported yet"))
            continue
        setting = SETTINGS_BY_NAME[name]
        mine = long_flag(setting.flags) or name
        notes = [SAME_NAME_NOTES.get(label, "")]
        if name != theirs.name:  # an alias: the config file takes gunicorn's name too
            notes.insert(0, f"gunicorn's `{theirs.name}` is our `{name}`")
        rows.append((label, mine, "; ".join(note for note in notes if note)))
    return rows


def ours_only_rows() -> list[tuple[str, str]]:
    """(our flag, note) for every setting of ours that gunicorn does not have."""
    return [(long_flag(s.flags), OURS_ONLY.get(long_flag(s.flags), ""))
            for s in SETTINGS
            if s.flags and not ({s.name, *s.aliases} & set(GUNICORN_BY_NAME))]


# -- outcomes ----------------------------------------------------------------------

def run_cases(cases: list[harness.Case]) -> dict[str, dict]:
    import parity_app

    harness.strict_warnings()
    logging.getLogger("wsgiserver").setLevel(logging.CRITICAL)  # the misbehaving apps' errors
    servers = {}
    outcomes = {}
    try:
        servers["gunicorn"] = harness.Gunicorn()
        servers["wsgiserver"] = harness.WSGIServerUnderTest()
        for case in cases:
            del parity_app.VIOLATIONS[:]
            result = harness.run_case(servers, case)
            outcomes[case.id] = harness.outcome(case, result)
            if parity_app.VIOLATIONS:
                outcomes[case.id]["kind"] = "failing"
                outcomes[case.id]["problems"] += list(parity_app.VIOLATIONS)
    finally:
        for server in servers.values():
            server.stop()
    return outcomes


# -- the report --------------------------------------------------------------------

def gunicorn_version() -> str:
    from importlib.metadata import version
    return version("gunicorn")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |"
              for row in rows]
    return lines


def _status_text(codes: list) -> str:
    return ", ".join("no answer" if c is None else str(c) for c in codes) or "no answer"


def _first_problem(problem: str) -> str:
    """One line for the report; for differing views, the first changed lines of the diff."""
    lines = problem.splitlines()
    changed = [line.strip() for line in lines[1:]
               if line[:1] in "-+" and not line.startswith(("---", "+++"))]
    if lines[0].startswith("views differ") and changed:
        return "views differ (gunicorn `-`, wsgiserver `+`): " + " ".join(
            f"`{line}`" for line in changed[:4])
    return lines[0]


def render(cases: list[harness.Case], outcomes: dict[str, dict],
           options: list[tuple[str, str, str]]) -> str:
    from wsgiserver import __version__

    kinds = Counter(outcomes[c.id]["kind"] for c in cases)
    rule_count = sum(1 for c in cases if outcomes[c.id]["computed_length"])
    out = [
        "# Parity with gunicorn",
        "",
        "Generated by `python scripts/parity_report.py` from the parity suite "
        "(`tests/parity`); do not edit by hand. "
        "`tests/parity/test_parity_report.py` fails when this file is out of date.",
        "",
        f"The same raw requests go to gunicorn {gunicorn_version()} "
        "(`-k gthread --threads 4 -w 1`) and to wsgiserver "
        f"{__version__} (`threads=4`, the app behind `wsgiref.validate` and WebTest's "
        "lint), over loopback, each case whole and again one byte per `send()`. "
        "Both run the same app (`tests/parity/parity_app.py`: `apps/echo.py`, and "
        "`apps/misbehave.py` under `/misbehave/`).",
        "",
        "## Summary",
        "",
    ]
    out += _table(["cases", "identical", "documented differences", "failing"],
                  [[len(cases), kinds["identical"], kinds["difference"], kinds["failing"]]])
    out += ["", "By category (one case table each in `tests/parity/cases/`):", ""]
    rows = []
    for file_name, category, _ in harness.categories():
        mine = [c for c in cases if c.source == file_name]
        count = Counter(outcomes[c.id]["kind"] for c in mine)
        rows.append([f"{category} (`{file_name}`)", len(mine), count["identical"],
                     count["difference"], count["failing"]])
    out += _table(["category", "cases", "identical", "differences", "failing"], rows)
    out += [
        "",
        "## What is compared",
        "",
        "For each response: the status, `Content-Type`, `Content-Length` or chunked "
        "framing, `Connection`, `Set-Cookie` (all, in order), `Location`, `ETag`, every "
        "`X-` header and the body; for the echo app, the environ the app saw (every "
        "CGI and `HTTP_*` key, `wsgi.*` flags) and the body it read from `wsgi.input`. "
        "Then: whether the connection closed, and how many requests reached the app. "
        "A case for malformed input also requires that both servers refuse it "
        "(4xx/5xx), never call the app, and close the connection.",
        "",
        "Rules that hold for every case:",
        "",
        "- `Date` and `Server` are never compared; nor are `SERVER_SOFTWARE` and "
        "`REMOTE_PORT`. `SERVER_PORT` must be the port the server listens on.",
        f"- {harness.ERROR_PAGE_NOTE}",
    ]
    for key, why in harness.EXTRA_KEYS.items():
        out.append(f"- wsgiserver adds `{key}`: {why}.")
    out += [f"- {harness.COMPUTED_LENGTH_RULE} It applied to {rule_count} cases.", ""]
    out += ["## Documented differences", "",
            "Where wsgiserver answers differently on purpose (or, where the reason says so, "
            "by a known limitation); the suite asserts each "
            "server's own answer.", ""]
    for case in cases:
        if not case.difference:
            continue
        result = outcomes[case.id]
        out += [f"- **{case.id}** ({case.category}): {case.note} "
                f"wsgiserver: {_status_text(result['ours'])}; "
                f"gunicorn: {_status_text(result['gunicorn'])}. {case.difference}"]
    failing = [c for c in cases if outcomes[c.id]["kind"] == "failing"]
    out += ["", "## Failing cases", ""]
    if not failing:
        out.append("None.")
    for case in failing:
        first = _first_problem(outcomes[case.id]["problems"][0])
        out.append(f"- **{case.id}** ({case.category}): {case.note} Problem: {first}")
    out += ["", "## Settings and command-line options", "",
            "Every setting gunicorn has (its flag, or its config-file name where it has "
            "none), and ours: generated from our settings table (`wsgiserver/settings/`) "
            "and the table of gunicorn's settings with the reason for each we lack "
            "(`wsgiserver/settings/gunicorn.py`), the same table that makes a config "
            "file's unsupported setting one warning line.", ""]
    out += _table(["gunicorn", "wsgiserver", "notes"],
                  [[f"`{g}`", w if w == "not supported" else f"`{w}`", note]
                   for g, w, note in options])
    supported = sum(1 for _, w, _ in options if w != "not supported")
    out += ["", f"{supported} of {len(options)} gunicorn settings are supported.", ""]
    out += ["## Options only wsgiserver has", "",
            "Every command-line option of ours that gunicorn has no setting for.", ""]
    out += _table(["wsgiserver", "notes"], [[f"`{w}`", note] for w, note in ours_only_rows()])
    out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if docs/parity.md is out of date")
    args = parser.parse_args(argv)
    cases = harness.load_cases()
    text = render(cases, run_cases(cases), options_rows())
    if args.check:
        current = REPORT.read_text("utf-8") if REPORT.exists() else ""
        if current != text:
            print("docs/parity.md is out of date: run python scripts/parity_report.py")
            return 1
        print("docs/parity.md is current")
        return 0
    REPORT.write_text(text, "utf-8")
    print(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
