"""Write docs/settings.md from the settings table (wsgiserver/settings/).

    python scripts/settings_reference.py          # rewrite docs/settings.md
    python scripts/settings_reference.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from wsgiserver.settings import SECTIONS, SETTINGS, Setting  # noqa: E402

PAGE = os.path.join(REPO, "docs", "settings.md")
INTRO = """# Settings reference

Generated from the settings table in `wsgiserver/settings/` by
`python scripts/settings_reference.py`; do not edit by hand. Every setting is
a keyword of `WSGIServer(...)` and `serve(...)` under its name, and a
command-line flag where one is listed (hooks are set from Python or a config file).
"""


def render() -> str:
    parts = [INTRO]
    for section in SECTIONS:
        parts.append(f"\n## {section}\n")
        parts.extend(_entry(s) for s in SETTINGS if s.section == section)
    return "".join(parts)


def _entry(setting: Setting) -> str:
    flags = ", ".join(f"`{flag}`" for flag in setting.flags) or "(Python or a config file)"
    default = "none" if setting.default is None else f"`{setting.default!r}`"
    return (f"\n### `{setting.name}`\n\n"
            f"- command line: {flags}\n- default: {default}\n\n"
            f"{setting.description[0].upper()}{setting.description[1:]}.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        with open(PAGE, encoding="utf-8") as page:
            sys.exit(0 if page.read() == text else 1)
    with open(PAGE, "w", encoding="utf-8") as page:
        page.write(text)


if __name__ == "__main__":
    main()
