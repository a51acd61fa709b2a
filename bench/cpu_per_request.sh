#!/usr/bin/env bash
# CPU the live server spends per request under wrk (user and system time from /proc).
#   bash bench/cpu_per_request.sh [THREADS] [PORT]    (default --threads 0, port 7816)
# Server pinned to core 0, wrk (-t1 -c50, 3 s, keep-alive) to core 1, loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-0}
port=${2:-7816}
taskset -c 0 python3 -m wsgiserver apps.hello:application -b "127.0.0.1:$port" \
    --threads "$threads" --static-root /nonexistent >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1.5
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
out=$(taskset -c 1 wrk -t1 -c50 -d3s "http://127.0.0.1:$port/hello")
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
n=$(echo "$out" | awk '/requests in/ {print $1}')
tick=$(getconf CLK_TCK)
python3 -c "n=$n; print(f'--threads $threads: {n} requests, user {($u1-$u0)/$tick/n*1e6:.1f} us, sys {($s1-$s0)/$tick/n*1e6:.1f} us per request')"
