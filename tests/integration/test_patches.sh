#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# patches/ as a packager uses it: take the compatibility baseline named in
# patches/BASE, apply the series with `git am` in a temporary tree, check
# that the result is exactly the commit the series was made from, and
# build it. Needs the project's git history: from a release tarball (or a
# shallow clone without the baseline) it says so and skips.
set -u
src=$(cd "${top_srcdir:-.}" && pwd)
skip() { echo "SKIP: $*"; exit 77; }

command -v git >/dev/null || skip "git is not installed"
# The sources must be a git tree of their own: a tarball unpacked inside
# some other checkout (make distcheck does that) has no history either.
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) && [ "$top" -ef "$src" ] ||
    skip "no git history here (a release tarball): the series cannot be applied to its baseline"
[ -f "$src/patches/BASE" ] && [ -f "$src/patches/series" ] ||
    skip "no patches/BASE or patches/series"
base=$(sed -n 's/^\([0-9a-f]\{40\}\)\b.*/\1/p' "$src/patches/BASE" | head -n 1)
[ -n "$base" ] || { echo "FAIL: patches/BASE names no commit"; exit 1; }
git -C "$src" cat-file -e "$base^{commit}" 2>/dev/null ||
    skip "the baseline $base is not in this clone (shallow?)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cohort-patches.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/tree
mkdir "$tree"
git -C "$src" archive "$base" | tar -x -C "$tree" || { echo "FAIL: git archive $base"; exit 1; }

g() { git -C "$tree" -c user.name=cohort-test -c user.email=test@cohort.invalid \
          -c commit.gpgsign=false "$@"; }
g init -q && g add -A && g commit -q -m baseline || { echo "FAIL: temporary repository"; exit 1; }
[ "$(g rev-parse HEAD^{tree})" = "$(git -C "$src" rev-parse "$base^{tree}")" ] ||
    { echo "FAIL: the baseline tree was not reproduced"; exit 1; }

last=
n=0
while read -r patch; do
    case $patch in ''|'#'*) continue ;; esac
    [ -f "$src/patches/$patch" ] || { echo "FAIL: patches/series lists missing $patch"; exit 1; }
    if ! g am -q --whitespace=nowarn "$src/patches/$patch" >"$tmp/am.log" 2>&1; then
        echo "FAIL: $patch does not apply:"; cat "$tmp/am.log"; exit 1
    fi
    echo "applied $patch"
    n=$((n + 1))
    last=$(sed -n '1s/^From \([0-9a-f]\{40\}\) .*/\1/p' "$src/patches/$patch")
done < "$src/patches/series"
[ "$n" -gt 0 ] || { echo "FAIL: patches/series is empty"; exit 1; }

# The series must reproduce the commit it was exported from, byte for byte
# (when that commit is in this clone).
if [ -n "$last" ] && git -C "$src" cat-file -e "$last^{commit}" 2>/dev/null; then
    if [ "$(g rev-parse HEAD^{tree})" != "$(git -C "$src" rev-parse "$last^{tree}")" ]; then
        echo "FAIL: baseline + series differs from $last:"
        g diff --stat HEAD "$(git -C "$src" rev-parse "$last^{tree}")" 2>/dev/null | tail -n 20
        exit 1
    fi
    echo "baseline + $n patches = $last"
fi

# Build the result (niced: other tests of the suite run alongside).
cd "$tree" || exit 1
if ! { nice autoreconf -fi && nice ./configure --enable-werror &&
       nice make -j2; } >"$tmp/build.log" 2>&1; then
    echo "FAIL: the patched baseline does not build:"; tail -n 40 "$tmp/build.log"; exit 1
fi
[ -x daemon/spread ] && [ -f libspread/.libs/libspread.so.3 ] ||
    { echo "FAIL: build products missing"; exit 1; }
echo "ok: baseline $base + $n patches builds"
