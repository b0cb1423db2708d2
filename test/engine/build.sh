#!/usr/bin/env bash
# Builds the real Pulumi engine pieces the engine tests run against, from Go modules (no prebuilt
# downloads), into a cache folder keyed by this script, the wrapper modules next to it, the Go version
# and the @pulumi/pulumi SDK version. The LAST line printed on stdout is the folder holding the binaries
# (progress goes to stderr), so callers do: bin=$(test/engine/build.sh | tail -n 1).
#
#   $PULUMI_APPARMOR_CACHE/engine/<key>/bin/
#       pulumi                          CLI, github.com/pulumi/pulumi/pkg/v3 (wrapper: cli/)
#       pulumi-language-nodejs          Node.js language host (wrapper: langhost/)
#       pulumi-resource-pulumi-nodejs   dynamic-provider launcher shipped at the root of the npm
#                                       package @pulumi/pulumi (copied next to `pulumi`, where the
#                                       engine looks for bundled plugins, so it warns about nothing)
#       pulumi-resource-command         @pulumi/command's provider, hard link from build-command.sh's
#                                       cache (VERSIONS-command says where its source came from)
#   $PULUMI_APPARMOR_CACHE/go/{mod,build}  GOMODCACHE and GOCACHE, shared by every key: warm rebuilds
#                                          after a script change only relink.
#
# Versions and why (read this before bumping):
# - CLI v3.259.0. The SDK stays @pulumi/pulumi 3.248.x because 3.249+ declares Node >= 22 and the
#   machines have Node 20; a newer CLI drives an older SDK fine.
# - pulumi-language-nodejs has no tags of its own, so it is pinned by pseudo-version. The pseudo-version
#   of the v3.259.0 release commit (v3.0.0-20260819165155-0ac56e876614) is refused by the Go module proxy
#   reachable here ("403 This module version is not available"), as are those of v3.248.0 and v3.252.0.
#   The newest one it serves that we know of is v3.0.0-20250806165243-bee5e4fa4815 (between v3.187.0
#   and v3.188.0, the one pulumi/pulumi-docker-build pinned), so that is what is built, with its own
#   go.mod's pkg v3.156.0 / sdk v3.187.0. The checksum database has no record of it (404), so its
#   go.sum lines were taken from this proxy on first download and are committed: builds verify against
#   them. The engine tests use inline Automation API programs, which the CLI runs through the
#   in-process language server of @pulumi/pulumi/automation (runtime "client"), not through this
#   binary; it serves on-disk programs (Pulumi.yaml with runtime nodejs).
# - pulumi-resource-command 1.2.1 (@pulumi/command 1.2.1, whose remote.Command prepares hosts) is built
#   by test/engine/build-command.sh into its own cache ($PULUMI_APPARMOR_CACHE/engine-command/<key>), so
#   it never invalidates this one, and hard-linked into this bin folder on every call (also when this
#   build is cached). It is built from a verified source checkout because the Go module proxy refuses
#   the module: github.com/pulumi/pulumi-command/provider (own go.mod, no tags) answers 403 for every
#   pseudo-version tried (v1.2.1's v0.0.0-20260303235922-7f3eb6f3b77c, v1.2.0's, v1.1.3's), and the
#   root module at v1.2.1 excludes provider/. So build-command.sh tries the proxy once, then takes a git
#   repository of pulumi/pulumi-command from $PULUMI_COMMAND_GIT (a clone the user provides), checks that tag v1.2.1 is commit
#   7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25, extracts provider/ at that commit with `git archive` and
#   builds it with its own go.mod/go.sum (dependencies from the proxy, verified by that go.sum). Without
#   a source this build still succeeds, without the plugin (it says how to provide one), and the tests
#   that need remote.Command fail naming the missing plugin.
# - pulumi-resource-docker, reporting 5.0.0 to match @pulumi/docker 5.0.0 (package.json). Upstream
#   builds it from github.com/pulumi/pulumi-docker/provider/v5 at tag v5.0.0 (commit c2baf6a4997f), whose
#   go.mod replaces github.com/terraform-providers/terraform-provider-docker with its `upstream`
#   submodule (kreuzwerker/terraform-provider-docker at 619686ddb44a) patched by 0001 (adds the `shim`
#   package), 0002 (drops a Service default) and 0003 (no empty TLS config for the registry HTTP client).
#   Neither that provider module (no tags; the pseudo-versions of v5.0.0 and v5.1.0 answer 403) nor
#   kreuzwerker at 619686ddb44a is served by the proxy here, nor pulumi-terraform-bridge v3.126.0 that
#   v5.0.0 uses. So docker/ is our own wrapper with what IS served:
#     * kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4 (newer upstream) as the
#       replacement of github.com/terraform-providers/terraform-provider-docker;
#     * github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2
#       v2.0.0-20260318212141-5525259d096b, the fork replace pulumi-docker v5.0.0 carries;
#     * docker/shim: a local module at .../terraform-provider-docker/shim returning
#       provider.New(version)() (what patch 0001 adds; Go checks `internal` on import paths);
#     * pulumi-terraform-bridge v3.120.0 and docker/info: our own mapping of the SDKv2 resources to the
#       tokens and names @pulumi/docker 5.x uses (docker:index/container:Container, `command` kept
#       singular, DeleteBeforeReplace on Container, `host` defaulting to DOCKER_HOST, RemoteImage `name`);
#     * schema.json generated at build time by docker/tfgen from that mapping and embedded into the
#       provider (tfbridge.Main("docker", version, info, schema)); -tags no_compose drops the compose
#       resource and its heavy dependencies.
#   Left out, with why `Container` is unaffected: patch 0002 (Service only) and 0003 (registry client
#   only) are not applied; the upstream's plugin-framework resources are not mapped (Container,
#   RemoteImage, Network, Volume… are SDKv2); pulumi-docker's native `docker:index/image:Image` (its
#   hybrid provider) is absent. docker_container's schema and CRUD code are the upstream's own, so
#   `docker.Container` behaves as the kreuzwerker provider at 96d331c98ff4 does, which is newer than
#   what @pulumi/docker 5.0.0 shipped.
#
# Env: PULUMI_APPARMOR_CACHE (default /var/cache/pulumi-apparmor). CGO_ENABLED=0, GOTOOLCHAIN=local,
# -mod=readonly (go.sum of each wrapper is authoritative). Concurrent callers serialize on a lock; the
# result appears atomically (built in a temp folder, then renamed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"

PULUMI_VERSION=v3.259.0
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# Version stamped into the language host: the Go pseudo-version form of its commit.
LANGHOST_VERSION=v3.187.1-0.20250806165243-bee5e4fa4815
DOCKER_VERSION=5.0.0
SDK_PKG="$repo/node_modules/@pulumi/pulumi"

log() { echo "engine-build: $*" >&2; }

command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { log "go is not installed"; exit 1; }
[ -f "$SDK_PKG/package.json" ] || { log "missing $SDK_PKG (run npm ci first)"; exit 1; }
sdk_version="$(node -p "require('$SDK_PKG/package.json').version")"

# Cache key: everything that changes the output (comment lines of this script do not).
key="$(
    {
        echo "script"; grep -v '^[[:space:]]*#' "$here/build.sh"
        for f in $(cd "$here" && find cli langhost docker -type f \( -name 'go.mod' -o -name 'go.sum' -o -name '*.go' -o -name '*.json' \) 2>/dev/null | LC_ALL=C sort); do
            echo "file $f"; cat "$here/$f"
        done
        go version
        go env GOOS GOARCH
        echo "sdk $sdk_version"
        cat "$SDK_PKG/pulumi-resource-pulumi-nodejs"
    } | sha256sum | cut -c1-16
)"
out="$cache/engine/$key"

# Links pulumi-resource-command (test/engine/build-command.sh, own cache) into bin folder $1.
add_command_provider() {
    local cbin rc=0
    cbin="$(bash "$here/build-command.sh" | tail -n 1)" || rc=$?
    if [ "$rc" = 3 ]; then
        log "continuing without pulumi-resource-command (tests using remote.Command will fail)"
        return 0
    elif [ "$rc" != 0 ] || [ ! -x "$cbin/pulumi-resource-command" ]; then
        log "building pulumi-resource-command failed (exit $rc)"
        return 1
    fi
    local f
    for f in pulumi-resource-command:pulumi-resource-command VERSIONS:VERSIONS-command; do
        if ! cmp -s "$cbin/${f%%:*}" "$1/${f#*:}"; then
            ln -f "$cbin/${f%%:*}" "$1/.${f#*:}.$$" 2>/dev/null || cp "$cbin/${f%%:*}" "$1/.${f#*:}.$$"
            mv -f "$1/.${f#*:}.$$" "$1/${f#*:}"
        fi
    done
}

if [ -f "$out/bin/.complete" ]; then
    log "cached: $out/bin"
    add_command_provider "$out/bin"
    echo "$out/bin"
    exit 0
fi

mkdir -p "$cache/engine" "$cache/go/mod" "$cache/go/build"
exec 9>"$cache/engine/.lock"
log "waiting for the build lock"
flock 9
if [ -f "$out/bin/.complete" ]; then
    log "built by another caller: $out/bin"
    exec 9>&-
    add_command_provider "$out/bin"
    echo "$out/bin"
    exit 0
fi

export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" CGO_ENABLED=0 GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off
# Under the lock, any temp folder left is from a build that was killed: drop it.
rm -rf "$cache/engine"/.tmp.*
tmp="$(mktemp -d "$cache/engine/.tmp.$key.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/bin" "$tmp/src" "$tmp/tools" "$tmp/schema"
for d in cli langhost docker; do
    cp -r "$here/$d" "$tmp/src/$d"
done

start=$(date +%s)
step() { log "$1 done after $(($(date +%s) - start)) s"; }

log "building pulumi $PULUMI_VERSION (cold: tens of minutes on 2 cores)"
(cd "$tmp/src/cli" && go build -o "$tmp/bin/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
step "pulumi"

log "building pulumi-language-nodejs $LANGHOST_VERSION"
(cd "$tmp/src/langhost" && go build -o "$tmp/bin/pulumi-language-nodejs" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_VERSION" \
    "$LANGHOST_MODULE")
step "pulumi-language-nodejs"

log "building pulumi-resource-docker $DOCKER_VERSION (tfgen for the schema, then the provider)"
(cd "$tmp/src/docker" && go build -tags no_compose -o "$tmp/tools/tfgen-docker" ./tfgen)
(cd "$tmp/src/docker" && "$tmp/tools/tfgen-docker" schema --out "$tmp/schema" >&2)
cp "$tmp/schema/schema.json" "$tmp/src/docker/schema.json"
(cd "$tmp/src/docker" && go build -tags no_compose -o "$tmp/bin/pulumi-resource-docker" \
    -ldflags "-s -w -X pulumi-apparmor.test/engine/docker/info.Version=$DOCKER_VERSION" .)
rm -rf "$tmp/tools" "$tmp/schema"
step "pulumi-resource-docker"

install -m 0755 "$SDK_PKG/pulumi-resource-pulumi-nodejs" "$tmp/bin/pulumi-resource-pulumi-nodejs"

"$tmp/bin/pulumi" version >&2
{
    echo "pulumi $PULUMI_VERSION"
    echo "pulumi-language-nodejs $LANGHOST_VERSION"
    echo "pulumi-resource-pulumi-nodejs from @pulumi/pulumi $sdk_version"
    echo "pulumi-resource-docker $DOCKER_VERSION (own bridge wiring of kreuzwerker/terraform-provider-docker 96d331c98ff4, see docker/)"
    echo "built in $(($(date +%s) - start)) s with $(go version)"
} >"$tmp/bin/VERSIONS"
touch "$tmp/bin/.complete"

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
# Builds of other recipes unused for a week go (each is ~220 MB).
find "$cache/engine" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name '.tmp.*' -mtime +7 \
    -exec rm -rf {} + 2>/dev/null || true
log "built in $(($(date +%s) - start)) s: $out/bin"
exec 9>&-
add_command_provider "$out/bin"
echo "$out/bin"
