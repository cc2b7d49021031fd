#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# The manual is complete and built for this release:
# - every installed program has a page in section 1 or 8;
# - every function the three libraries export has a section 3 page;
# - spread.conf(5) describes every key the daemon's parser knows, and
#   marks as "Cohort extension." each key Spread 5.0.1 does not have
#   (the keys its specification, ../shared/spec/daemon.md, names);
# - every page carries this release's version and no unfilled @name@,
#   and formats without groff warnings.
# The lists come from the Makefile (COHORT_PROGRAMS, COHORT_MANS), so a
# program or page added there is checked without touching this test.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
: "${COHORT_MANS:?run through make check}" "${COHORT_PROGRAMS:?run through make check}"

has_page() { # name sections...
    local n=$1 s; shift
    for s in "$@"; do
        case " $COHORT_MANS " in *" man/$n.$s "*) return 0 ;; esac
    done
    return 1
}

n=0
for p in $COHORT_PROGRAMS; do
    p=$(basename "$p")
    has_page "$p" 1 8 || fail "program $p has no page in section 1 or 8"
    n=$((n + 1))
done
echo "ok: $n programs checked"

if command -v nm >/dev/null; then
    n=0
    for lib in libspread libspread-core libtspread-core; do
        so=$(ls "$top_builddir"/libspread/.libs/$lib.so.3.* 2>/dev/null | head -n 1)
        [ -n "$so" ] || { fail "$lib.so.3 not built"; continue; }
        for s in $(nm -D --defined-only "$so" | awk '$2 == "T" {print $3}'); do
            has_page "$s" 3 || fail "$lib exports $s, which has no page"
            n=$((n + 1))
        done
    done
    echo "ok: $n exported functions checked"
else
    echo "SKIP part: no nm, exported functions not checked"
fi

conf5="$top_srcdir/docs/man/spread.conf.5"
spec="${COHORT_SHARED:-$top_srcdir/../shared}/spec/daemon.md"
keys=$(sed -n 's/^ *{"\([A-Za-z_]*\)", TK_\(KEY\|SEGMENT\|VIRTUALID\),.*/\1/p' \
       "$top_srcdir/daemon/conf_lex.c")
[ -n "$keys" ] || fail "no keys found in daemon/conf_lex.c"
n=0
for k in $keys; do
    # An item of the page: ".B Key", ".BI \"Key = \"" and the like.
    line=$(grep -nE "^(\.(B|BI|BR|IR|TP) \"?|\\\\fB)$k\b" "$conf5" | head -n 1 | cut -d: -f1)
    if [ -z "$line" ]; then
        fail "spread.conf(5) does not describe $k"
        continue
    fi
    n=$((n + 1))
    [ -f "$spec" ] || continue
    grep -q "\b$k\b" "$spec" && continue
    sed -n "$((line + 1)),$((line + 3))p" "$conf5" | grep -q "^Cohort extension\." ||
        fail "spread.conf(5): $k is Cohort's own but not marked \"Cohort extension.\""
done
[ -f "$spec" ] || echo "SKIP part: no $spec, Cohort-only keys not checked"
echo "ok: $n configuration keys described"

n=0
for m in $COHORT_MANS; do
    f="$top_builddir/$m"
    [ -f "$f" ] || { fail "$m was not built"; continue; }
    if grep -q '@[a-zA-Z_]*@' "$f"; then
        fail "$m has unfilled placeholders: $(grep -o '@[a-zA-Z_]*@' "$f" | sort -u | tr '\n' ' ')"
    fi
    if ! grep -q '^\.so ' "$f"; then
        grep -q "^\.TH .*\"Cohort $PACKAGE_VERSION\"" "$f" ||
            fail "$m does not say Cohort $PACKAGE_VERSION in its header"
        if command -v groff >/dev/null; then
            w=$(groff -man -ww -z "$f" 2>&1)
            [ -z "$w" ] || fail "$m: groff: $w"
        fi
    else
        t=$(sed -n 's/^\.so //p' "$f")
        case " $COHORT_MANS " in *" man/${t#man?/} "*) ;; *) fail "$m links to $t, which is not installed" ;; esac
    fi
    n=$((n + 1))
done
command -v groff >/dev/null || echo "SKIP part: no groff, pages not formatted"
echo "ok: $n pages checked"
exit $((fails > 0))
