#!/usr/bin/env bash
# Instructions per request of the server's Python (bench/request_cost.py), counted by
# callgrind: repeatable where wall-clock CPU time swings by 10-15% on this machine.
#   bash bench/request_instructions.sh [/path [request_cost.py options]]   (default /hello)
#   bash bench/request_instructions.sh /hello --statsd      (statsd's per-request cost)
# Two runs of different length; the difference divided by the extra requests
# (request_cost.py runs 1.02 x N requests) cancels start-up.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
PY=$(python3 -c "import sys; print(sys.executable)")  # the real binary, not a shim
path="${1:-/hello}"
extra=("${@:2}")
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$PY" bench/request_cost.py \
        "$path" "${extra[@]}" -n "$1" 2>&1 | awk '/Collected/ {print $4}'
}
small=$(count 2000)
large=$(count 6000)
python3 -c "print(f'$path ${extra[*]}: {($large - $small) / 4080:,.0f} instructions per request')"
