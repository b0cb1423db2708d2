#!/bin/sh
# AppArmor 4.1's own apparmor_parser, for the ABI 4 round-trip test (test/parser41/): a minimal Debian
# trixie chroot (debootstrap --variant=minbase --include=apparmor) plus AppArmor 4.1's parser test
# profiles (parser/tst/simple_tests of Debian's apparmor_4.1.0.orig.tar.gz, checked by its sha256).
#
# usage: trixie-parser.sh ensure   build the chroot unless cached; print its directory (last stdout line)
#        trixie-parser.sh path     print the directory it has (or would have) in the cache
#        trixie-parser.sh hash     print the recipe hash (the cache key: sha256 of this file and of
#                                  src/testhost/cache-lib.sh, the cache scaffolding it shares with the
#                                  test host's build-image.sh)
#
# It lives in $PULUMI_APPARMOR_CACHE/trixie-parser/<recipe hash>/ (PULUMI_APPARMOR_CACHE defaults
# to /var/cache/pulumi-apparmor): rootfs/ (the chroot; run `chroot DIR/rootfs apparmor_parser -Q -K -S
# -M /features-4.1` with the policy on stdin), rootfs/features-4.1 (the compile features: the package's
# /usr/share/apparmor-features/features plus the ipc (posix_mqueue) block of abi/4.0, so
# mqueue rules are compiled, not dropped), rootfs/simple_tests/ and recipe.json (written last). Built in
# a temporary directory beside it and renamed into place, under a lock. Cold: about 40 s.
#
# The Debian mirror is the one this machine's apt sources use (override: PULUMI_APPARMOR_DEBIAN_MIRROR).
# Needs root (debootstrap, chroot), debootstrap, curl. Installs nothing on this machine.
set -eu

{
cmd="${1:-ensure}"
self="$(readlink -f "$0")"
lib="$(dirname "$self")/../src/testhost/cache-lib.sh"
cache_name=trixie-parser
# shellcheck source=src/testhost/cache-lib.sh
. "$lib"
log() { cache_log "$@"; }
die() { cache_die "$@"; }
cache="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
hash="$(cat "$self" "$lib" | sha256sum | cut -c1-64)"
top="$cache/trixie-parser"
dest="$top/$hash"
# AppArmor 4.1.0's source as Debian trixie ships it (pool path and the sha256 of its .dsc).
src_tar="pool/main/a/apparmor/apparmor_4.1.0.orig.tar.gz"
src_sha256="c4422381941a6f30b7a5c9ee1defb7bc4efe3adbee3f99d642aa6e9bb8bcffcf"

case "$cmd" in
hash)
    echo "$hash"
    exit 0
    ;;
path)
    echo "$dest"
    exit 0
    ;;
ensure) ;;
*) die "unknown command '$cmd' (expected ensure, path or hash)" ;;
esac

if [ -f "$dest/recipe.json" ]; then
    echo "$dest"
    exit 0
fi

# --- preconditions -------------------------------------------------------------------------------
PATH="$PATH:/usr/sbin:/sbin"
missing=""
for tool in debootstrap:debootstrap curl:curl chroot:coreutils flock:util-linux; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] || die "missing tools; install them with: apt-get install$missing"
[ "$(id -u)" = 0 ] || die "building the AppArmor 4.1 parser chroot needs root (debootstrap, chroot); \
run 'sudo sh scripts/trixie-parser.sh ensure' once, or point PULUMI_APPARMOR_CACHE at a cache where \
root already built it"

mirror="$(cache_find_mirror bookworm trixie)" || die "no Debian mirror found in /etc/apt/sources.list{,.d}; set \
PULUMI_APPARMOR_DEBIAN_MIRROR"
mirror="${mirror%/}"

# --- lock, then build in a temporary directory ----------------------------------------------------
(umask 077 && mkdir -p "$top")
cache_lock "$top" "$hash"
if [ -f "$dest/recipe.json" ]; then
    echo "$dest"
    exit 0
fi
cache_clean_builds "$top" "$hash"
# chroots of other recipes not touched for a day
cache_prune "$top" "$hash"

start="$(date +%s)"
cache_begin "$top" "$hash"
tmp="$cache_tmp"
rootfs="$tmp/rootfs"

log "debootstrap trixie from $mirror (log: $tmp/debootstrap.log)"
if ! debootstrap --variant=minbase --components=main --include=apparmor trixie "$rootfs" "$mirror" \
    >"$tmp/debootstrap.log" 2>&1; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    die "debootstrap failed"
fi
cache_unmount_under "$rootfs"
version="$(chroot "$rootfs" apparmor_parser --version | head -n 1)"
case "$version" in
*" 4.1."*) ;;
*) die "trixie's apparmor_parser is '$version', not 4.1" ;;
esac

# Compile features: the package's, plus abi/4.0's ipc (message queues) so mqueue rules are compiled.
{
    cat "$rootfs/usr/share/apparmor-features/features"
    awk '/^ipc \{/ { on = 1 }
        on { print; depth += gsub(/\{/, "{") - gsub(/\}/, "}"); if (depth == 0) exit }
    ' "$rootfs/etc/apparmor.d/abi/4.0"
} >"$rootfs/features-4.1"
grep -q '^ipc {posix_mqueue' "$rootfs/features-4.1" || die "no ipc block in abi/4.0"

log "AppArmor 4.1.0 source (parser test profiles) from $mirror"
curl -fsS --retry 2 -o "$tmp/src.tar.gz" "$mirror/$src_tar" || die "cannot fetch $mirror/$src_tar"
echo "$src_sha256  $tmp/src.tar.gz" | sha256sum -c --quiet - || die "$src_tar: sha256 mismatch"
mkdir "$rootfs/simple_tests"
tar -xzf "$tmp/src.tar.gz" -C "$rootfs/simple_tests" --strip-components=4 \
    apparmor-4.1.0/parser/tst/simple_tests
rm -f "$tmp/src.tar.gz"

seconds=$(($(date +%s) - start))
printf '{"recipe":"%s","parser":"%s","mirror":"%s","seconds":%s}\n' \
    "$hash" "$version" "$mirror" "$seconds" >"$tmp/recipe.json"
rm -f "$tmp/debootstrap.log"
cache_commit "$dest" 0755
log "built in $seconds s: $dest"
echo "$dest"
exit 0
}
