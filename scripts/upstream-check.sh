#!/usr/bin/env bash
# upstream-check.sh — shows that the upstream fixes proposed in
# docs/upstream/ make every case of TestDNSConformanceLimits pass.
#
# It copies CoreDNS v1.15.0 and miekg/dns v1.1.73 from the module cache,
# applies docs/upstream/*.diff to the copies, runs miekg/dns's own tests
# on its copy, and runs discod's DNS conformance test and live DNS fuzz
# against a build that uses both copies (go.mod replace directives in a
# temporary worktree; the repository is not changed). About 3 minutes.
#
#   bash scripts/upstream-check.sh
set -euo pipefail
GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
. "$root/scripts/patched-deps.sh"
trap patched_deps_cleanup EXIT

patched_deps docs/upstream/coredns-dnsserver.diff docs/upstream/miekg-dns-question.diff
echo "== miekg/dns's own tests, patched"
(cd "$tmp/miekg" && $GO test -count=1 . )
cd "$tmp/discod"
echo "== discod's DNS conformance and live fuzz, against the patched CoreDNS and miekg/dns"
$GO test -count=1 -v -run 'TestDNSConformanceLimits|TestDNSFuzzLiveAgent' ./test/ 2>&1 |
  tee "$tmp/conformance.log" | grep -E '^(---|    ---|ok|FAIL|PASS)'
if grep -q -- 'CoreDNS v1.15.0 limitation' "$tmp/conformance.log"; then
  echo "upstream-check: a conformance case still gives the known wrong answer with the patches" >&2
  exit 1
fi
echo "upstream-check: every conformance case passes with the upstream fixes"
