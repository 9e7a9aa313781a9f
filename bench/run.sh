#!/usr/bin/env bash
# bench/run.sh — discod's benchmark kit in one command (see bench/README.md).
#
#   bench/run.sh              full run (~35 min, plus the beside phase): DNS kit
#                             (with DNS beside the catalog at scale), members chart to
#                             docs/perf-members.png, gossip at scale + simulator,
#                             services spreading at scale + model;
#                             results in bench/results/
#   bench/run.sh -short       CI smoke run (about 3 minutes), results in a temp dir
#   bench/run.sh -dns-only …  only the DNS kit; remaining flags go to dnsbench
#   bench/run.sh -gossip-only … only the gossip harness; remaining flags go to
#                             gossipbench
#   bench/run.sh -services-only … only the services mode (gossipbench
#                             -services); remaining flags go to it
#   bench/run.sh -beside-only … only DNS beside the catalog at scale
#                             (dnsbench -phases beside); remaining flags go
#                             to dnsbench
#
# Without dnsperf (Debian package dnsperf) the DNS kit cannot run: it is
# skipped with a message, or fails when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

short=()
beside_only=0
dns=1
gossip=1
services=1
args=()
for a in "$@"; do
  case "$a" in
    -short|--short) short=(-short) ;;
    -dns-only) gossip=0; services=0 ;;
    -gossip-only) dns=0; services=0 ;;
    -services-only) dns=0; gossip=0 ;;
    -beside-only) gossip=0; services=0; beside_only=1 ;;
    *) args+=("$a") ;;
  esac
done

if [ "$dns" = 1 ] && ! command -v dnsperf >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "bench/run.sh: FAIL: dnsperf is not installed; CI must install the Debian package dnsperf (apt-get install dnsperf)" >&2
    exit 1
  fi
  echo "bench/run.sh: SKIP: dnsperf is not installed (apt-get install dnsperf); the DNS kit was not run"
  dns=0
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/" ./bench/cmd/dnsbench ./bench/cmd/benchserver ./bench/cmd/gossipbench ./cmd/discod

if [ "${#short[@]}" -eq 0 ]; then
  mkdir -p bench/results
  dns_out=(-out bench/results/dns -png docs/perf-members.png -services-png docs/perf-services.png)
  gossip_out=(-out bench/results/gossip)
  services_out=(-out bench/results/services -sizes 16,50,64,128)
else
  dns_out=()
  gossip_out=()
  services_out=()
fi

# Extra flags go to the one program that runs: dnsbench, gossipbench or
# gossipbench -services.
dns_args=()
gossip_args=()
services_args=()
if [ "${#args[@]}" -gt 0 ]; then
  case "$dns$gossip$services" in
    100) dns_args=("${args[@]}") ;;
    010) gossip_args=("${args[@]}") ;;
    001) services_args=("${args[@]}") ;;
    *) echo "bench/run.sh: extra flags need -dns-only, -beside-only, -gossip-only or -services-only" >&2; exit 2 ;;
  esac
fi

if [ "$beside_only" = 1 ]; then
  # The beside phase alone (DNS beside the catalog at scale); its own
  # results directory in the full run.
  if [ "${#short[@]}" -eq 0 ]; then
    dns_out=(-out bench/results/beside)
  fi
  dns_args=(-phases beside "${dns_args[@]}")
fi
if [ "$dns" = 1 ]; then
  # Explicit flags after the defaults win (the flag package keeps the last).
  "$bin/dnsbench" "${short[@]}" -bin "$bin" "${dns_out[@]}" "${dns_args[@]}"
fi
if [ "$gossip" = 1 ]; then
  "$bin/gossipbench" "${short[@]}" "${gossip_out[@]}" "${gossip_args[@]}"
fi
if [ "$services" = 1 ]; then
  # Explicit flags after the defaults win (the flag package keeps the last).
  "$bin/gossipbench" -services "${short[@]}" "${services_out[@]}" "${services_args[@]}"
fi
echo "bench/run.sh: done"
