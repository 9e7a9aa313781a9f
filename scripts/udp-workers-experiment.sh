#!/usr/bin/env bash
# udp-workers-experiment.sh — measures the shipped agent served by UDP
# workers instead of miekg/dns's goroutine per packet (issue #13's
# moonshot; docs/PERFORMANCE.md, "Workers that keep their stacks").
#
# It copies CoreDNS v1.15.0 and miekg/dns v1.1.73 from the module cache,
# applies docs/upstream/*-udp-workers.diff (miekg/dns: dns.Server.UDPWorkers
# and UDPBatch; CoreDNS: both set from EXP_UDP_WORKERS and EXP_UDP_BATCH),
# builds bench/cmd/benchserver against the copies in a temporary worktree
# (the repository is not changed), and runs the kit's shipped phase with it
# as "agent-candidate", interleaved with the stock agent, hosts, miekg and
# unbound. Results in $OUT (default bench/results/udp-workers); arguments
# after the first go to dnsbench.
#
#   bash scripts/udp-workers-experiment.sh EXP_UDP_WORKERS=2 -rounds 5 -duration 5s
#   bash scripts/udp-workers-experiment.sh EXP_UDP_WORKERS=2,EXP_UDP_BATCH=16 -rounds 5
set -euo pipefail
GO=${GO:-go}
env_=${1:?usage: udp-workers-experiment.sh KEY=VALUE[,KEY=VALUE] [dnsbench flags]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
. "$root/scripts/patched-deps.sh"
trap patched_deps_cleanup EXIT

patched_deps docs/upstream/coredns-udp-workers.diff docs/upstream/miekg-dns-udp-workers.diff
(cd "$tmp/discod" && $GO build -o "$tmp/candidate/" ./bench/cmd/benchserver)
cd "$root"
$GO build -o "$tmp/kit/" ./bench/cmd/dnsbench ./bench/cmd/benchserver ./cmd/discod
out=${OUT:-bench/results/udp-workers}
mkdir -p "$out"
"$tmp/kit/dnsbench" -bin "$tmp/kit" -out "$out" -phases shipped -candidate "$tmp/candidate" -candidate-env "$env_" "$@"
