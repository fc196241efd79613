#!/bin/sh
# Install the Debian packages nanodns needs, and nothing else.
#
#   scripts/deps.sh build   packages to build build/nanodns
#   scripts/deps.sh test    the above plus what `make test` runs (cmocka, clang for the
#                           fuzz targets, pytest, dnspython, dig, kdig, promtool,
#                           systemd-socket-activate and systemd-analyze; knot and nsd as
#                           reference servers)
#
# Only missing packages are installed. As root apt-get runs directly, otherwise through
# sudo. The package lists are refreshed only when an install fails without them.
set -eu

BUILD_PKGS="make gcc libc6-dev pkg-config libjansson-dev liburcu-dev libuv1-dev libmicrohttpd-dev
libcurl4-openssl-dev nettle-dev liblmdb-dev libsodium-dev libsystemd-dev"
TEST_PKGS="clang libclang-rt-14-dev libcmocka-dev python3 python3-pytest python3-dnspython
bind9-dnsutils knot-dnsutils knot nsd prometheus python3-prometheus-client openssl curl faketime systemd"
# Servers the tests start themselves as reference implementations (on 127.0.0.1, high
# ports). Installing them must not start or enable their system services.
DAEMONS="knot nsd prometheus"

case "${1:-build}" in
build) want="$BUILD_PKGS" ;;
test) want="$BUILD_PKGS $TEST_PKGS" ;;
*)
    echo "usage: $0 build|test" >&2
    exit 2
    ;;
esac

missing=""
for p in $want; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "deps: all $(echo $want | wc -w) required Debian packages are installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps: missing packages:$missing" >&2
    echo "deps: not root and sudo is not available; install them as root with:" >&2
    echo "      apt-get install$missing" >&2
    exit 1
fi

echo "deps: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive

# A policy-rc.d that says "no" keeps the daemons' postinst scripts from starting them.
daemons=""
for d in $DAEMONS; do
    case " $missing " in *" $d "*) daemons="$daemons $d" ;; esac
done
policy=""
if [ -n "$daemons" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    echo "deps: $daemons are only used by the tests; their services will not be started"
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy=yes
fi
cleanup() { [ -z "$policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT

# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
    echo "deps: install failed; refreshing the package lists (apt-get update) and retrying"
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $missing
fi
# Nor should they start at the next boot.
if [ -n "$daemons" ] && [ -d /run/systemd/system ]; then
    for d in $daemons; do
        $SUDO systemctl disable --now "$d.service" >/dev/null 2>&1 || true
    done
fi
echo "deps: done"
