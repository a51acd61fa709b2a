"""Paste the current `wsgiserver --help` (at 80 columns) into the README's fenced block.

    python scripts/readme_help.py   # tests/test_settings.py checks the README holds it
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    text = subprocess.run([sys.executable, "-m", "wsgiserver", "--help"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True).stdout
    path = os.path.join(REPO, "README.md")
    readme = open(path, encoding="utf-8").read()
    block = re.compile(r"(```\n)usage: wsgiserver .*?(```)", re.S)
    if not block.search(readme):
        sys.exit("README.md has no ``` block starting with 'usage: wsgiserver'")
    readme = block.sub(lambda m: m.group(1) + text + m.group(2), readme, count=1)
    open(path, "w", encoding="utf-8").write(readme)


if __name__ == "__main__":
    main()
