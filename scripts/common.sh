# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Shared by scripts/demo and scripts/check: install what the build needs on
# a Debian machine (only what is missing), then configure and build in
# _build/ beside the sources.

COHORT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COHORT_BUILD=${COHORT_BUILD:-$COHORT_TOP/_build}
COHORT_PACKAGES="build-essential autoconf automake libtool pkg-config check"

cohort_install_deps() {
    local missing=() p
    for p in $COHORT_PACKAGES $*; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== installing: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

cohort_build() {
    echo "== building in $COHORT_BUILD"
    (cd "$COHORT_TOP" && { [ -x configure ] || autoreconf -fi >/dev/null; })
    mkdir -p "$COHORT_BUILD"
    cd "$COHORT_BUILD"
    # Arguments given (e.g. CFLAGS=-fsanitize=...) must take effect even
    # in a build directory configured before with others.
    if [ ! -f Makefile ]; then
        "$COHORT_TOP/configure" -q "$@"
    elif [ $# -gt 0 ]; then
        # config.status prints its arguments shell-quoted; compare them
        # word by word.
        if [ "$(eval "printf '%s\n' $(./config.status --config)")" != \
             "$(printf '%s\n' "$@")" ]; then
            echo "== reconfiguring $COHORT_BUILD with: $*"
            "$COHORT_TOP/configure" -q "$@"
        fi
    fi
    make -j"$(nproc)" >/dev/null
}
