# patched-deps.sh — sourced by the scripts that build discod against
# patched copies of its DNS dependencies (upstream-check.sh,
# udp-workers-experiment.sh). Not run on its own.
#
# patched_deps COREDNS_DIFF MIEKG_DIFF copies CoreDNS and miekg/dns, at the
# versions go.mod names, from the module cache into $tmp/coredns and
# $tmp/miekg, applies the two patches (paths from the repository's root), and makes
# $tmp/discod a detached worktree of HEAD whose go.mod replaces both with
# the copies. The caller sets root and tmp, and removes the worktree
# (patched_deps_cleanup) when it exits.

patched_deps() {
  local cdiff=$1 mdiff=$2 coredns miekg
  (cd "$root" && $GO mod download github.com/coredns/coredns github.com/miekg/dns)
  coredns=$(cd "$root" && $GO list -m -f '{{.Dir}}' github.com/coredns/coredns)
  miekg=$(cd "$root" && $GO list -m -f '{{.Dir}}' github.com/miekg/dns)
  cp -r "$coredns" "$tmp/coredns"
  cp -r "$miekg" "$tmp/miekg"
  chmod -R u+w "$tmp/coredns" "$tmp/miekg"
  patch -s -d "$tmp/coredns" -p1 < "$root/$cdiff"
  patch -s -d "$tmp/miekg" -p1 < "$root/$mdiff"
  git -C "$root" worktree add -q --detach "$tmp/discod" HEAD
  (cd "$tmp/discod" && $GO mod edit -replace "github.com/coredns/coredns=$tmp/coredns" -replace "github.com/miekg/dns=$tmp/miekg")
}

patched_deps_cleanup() {
  git -C "$root" worktree remove --force "$tmp/discod" >/dev/null 2>&1 || true
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
