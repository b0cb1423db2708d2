#!/usr/bin/env bash
# build-language.sh LANGUAGE — builds the Pulumi language host of LANGUAGE (python; yaml) from Go
# modules into its own cache folder, so that adding or changing one never invalidates the engine
# build (test/engine/build.sh, whose key covers only its own script and cli/, langhost/, docker/).
# The LAST line printed on stdout is the folder holding the binary; progress goes to stderr.
# Callers put that folder on PATH after the engine's (the CLI finds language hosts next to itself,
# then on PATH): test/support/languages.ts for the engine tests.
#
#   $PULUMI_APPARMOR_CACHE/engine-language/LANGUAGE-<key>/bin/
#       pulumi-language-LANGUAGE    the language host
#       pulumi-language-python-exec the Python host's program runner (python only; from the sdk/v3
#                                   module the wrapper builds with)
#       VERSIONS                    module, version, build time
#
# Versions and why:
# - python: github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 has no tags of its own;
#   the Go module proxy reachable here refuses the pseudo-versions of recent releases (as for the
#   Node.js host, see build.sh) and serves v3.0.0-20250806165243-bee5e4fa4815, the commit our
#   pulumi-language-nodejs is built from. The checksum database has no record of it, so its go.sum
#   lines were taken from the proxy on first download (GONOSUMDB for that module only) and are
#   committed in languages/python/go.sum: builds verify against them (-mod=readonly). Its go.mod
#   asks for pkg/sdk v3.187.0, which does not build with the rest of the module graph; v3.188.0 does
#   (the wrapper's go.mod raises them).
# - yaml: github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml at tag v1.32.0 (languages/yaml).
#
# Env: PULUMI_APPARMOR_CACHE (default /var/cache/pulumi-apparmor). CGO_ENABLED=0, GOTOOLCHAIN=local,
# -mod=readonly; GOMODCACHE/GOCACHE shared with build.sh. Concurrent callers serialize on a lock; the
# result appears atomically (built in a temp folder, then renamed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"
language=${1:?usage: build-language.sh python|yaml}

case $language in
python)
    MODULE=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
    # The Go pseudo-version form of its commit, stamped as the plugin version.
    VERSION=v3.187.1-0.20250806165243-bee5e4fa4815
    VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
    NOSUMDB=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python
    ;;
yaml)
    MODULE=github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
    VERSION=v1.32.0
    VERSION_VAR=github.com/pulumi/pulumi-yaml/pkg/version.Version
    NOSUMDB=
    ;;
*)
    echo "build-language: unknown language '$language' (python or yaml)" >&2
    exit 2
    ;;
esac
wrapper="$here/languages/$language"

log() { echo "language-build ($language): $*" >&2; }

command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { log "go is not installed"; exit 1; }
[ -f "$wrapper/go.mod" ] || { log "missing $wrapper/go.mod"; exit 1; }

key="$(
    {
        grep -v '^[[:space:]]*#' "${BASH_SOURCE[0]}"
        for f in $(cd "$wrapper" && find . -type f \( -name 'go.mod' -o -name 'go.sum' -o -name '*.go' \) | LC_ALL=C sort); do
            echo "file $f"; cat "$wrapper/$f"
        done
        go version
        go env GOOS GOARCH
    } | sha256sum | cut -c1-16
)"
out="$cache/engine-language/$language-$key"

if [ -f "$out/bin/.complete" ]; then
    log "cached: $out/bin"
    echo "$out/bin"
    exit 0
fi

mkdir -p "$cache/engine-language" "$cache/go/mod" "$cache/go/build"
exec 9>"$cache/engine-language/.lock"
log "waiting for the build lock"
flock 9
if [ -f "$out/bin/.complete" ]; then
    log "built by another caller: $out/bin"
    echo "$out/bin"
    exit 0
fi

export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" CGO_ENABLED=0 GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off GONOSUMDB="$NOSUMDB"
rm -rf "$cache/engine-language/.tmp.$language".*
tmp="$(mktemp -d "$cache/engine-language/.tmp.$language.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/bin"
cp -r "$wrapper" "$tmp/src"
start=$(date +%s)

log "building pulumi-language-$language $VERSION"
(cd "$tmp/src" && go build -o "$tmp/bin/pulumi-language-$language" \
    -ldflags "-s -w -X $VERSION_VAR=$VERSION" "$MODULE")
if [ "$language" = python ]; then
    # The host runs programs through the `pulumi-language-python-exec` script next to its binary; it
    # lives in pulumi/pulumi's sdk/python/cmd/, so it ships in the sdk/v3 module zip (verified by
    # go.sum) of the version the wrapper builds with.
    sdk_dir="$(cd "$tmp/src" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
    install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$tmp/bin/pulumi-language-python-exec"
fi

{
    echo "pulumi-language-$language $VERSION"
    echo "source: $MODULE (wrapper test/engine/languages/$language)"
    echo "built in $(($(date +%s) - start)) s with $(go version)"
} >"$tmp/bin/VERSIONS"
rm -rf "$tmp/src"
touch "$tmp/bin/.complete"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
find "$cache/engine-language" -mindepth 1 -maxdepth 1 -type d -name "$language-*" ! -name "$language-$key" \
    -mtime +7 -exec rm -rf {} + 2>/dev/null || true
log "built in $(($(date +%s) - start)) s: $out/bin"
echo "$out/bin"
