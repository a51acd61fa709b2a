#!/usr/bin/env bash
# Install wsgiserver (if needed) and serve the demo site and app on port 7890.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import httptools" 2>/dev/null || python3 -m pip install -q -e .
exec python3 -m wsgiserver "${APP:-apps.stocks:application}" "${PORT:-7890}" "$@"
