#!/usr/bin/env bash
# Serve the demo site (html/) and app (apps.stocks) on port 7890 with whatever
# python3 is first on PATH, installing what the demo needs first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# `python3 -m wsgiserver` run from here imports wsgiserver and miniframe from
# this clone whatever is installed, so what must be installed is setup.cfg's
# install_requires. Check each of them, version included: a virtualenv made by an
# older serve.sh has httptools but not multipart. Install only when one is not
# met, because `pip install -e .` needs the network and takes seconds even when
# nothing changes. Any error in the check (no pip, unreadable setup.cfg) counts
# as "not met", so the worst case is one install too many.
requirements_met() {
    python3 - <<'EOF'
import configparser
import sys
from importlib import metadata

from pip._vendor.packaging.requirements import Requirement  # pip runs the install anyway

config = configparser.ConfigParser()
config.read("setup.cfg", encoding="utf-8")
for line in config["options"]["install_requires"].splitlines():
    if not line.strip():
        continue
    requirement = Requirement(line.strip())
    if requirement.marker is not None and not requirement.marker.evaluate():
        continue
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        sys.exit(1)
    if not requirement.specifier.contains(version, prereleases=True):
        sys.exit(1)
EOF
}

if ! requirements_met 2>/dev/null; then
    echo "serve.sh: installing wsgiserver and its dependencies into $(command -v python3)" >&2
    python3 -m pip install -q --disable-pip-version-check -e .
fi
exec python3 -m wsgiserver "${APP:-apps.stocks:application}" "${PORT:-7890}" "$@"
