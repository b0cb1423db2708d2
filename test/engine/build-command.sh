#!/usr/bin/env bash
# Builds pulumi-resource-command (the provider of @pulumi/command, whose remote.Command the components
# use to prepare hosts) at the version package.json pins, into its own cache folder, so that changing
# it never invalidates the main engine build (test/engine/build.sh, which calls this script and links
# the binary into its bin folder). The LAST line printed on stdout is the folder holding the binary;
# progress goes to stderr. Exit 0: built or cached. Exit 3: no source to build from (nothing on
# stdout; the message says how to provide one). Anything else: the build failed.
#
#   $PULUMI_APPARMOR_CACHE/engine-command/<key>/bin/
#       pulumi-resource-command     github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
#       VERSIONS                    where it came from (proxy, or git repository + commit)
#
# Where the source comes from, in order:
#  1. The Go module proxy: `go install …/provider/cmd/pulumi-resource-command@<pseudo-version of tag
#     v1.2.1>`. github.com/pulumi/pulumi-command/provider has its own go.mod and no tags of its own, so
#     it is pinned by pseudo-version; the proxy reachable here refuses every version of that module
#     ("403 This module version is not available", also for the v1.2.0 and v1.1.3 commits), and the
#     repository's root module at v1.2.1 (which the proxy does serve) excludes provider/. The attempt
#     costs half a second; a refusal is remembered for a day (file proxy-refused.<key>).
#  2. A git repository of github.com/pulumi/pulumi-command: $PULUMI_COMMAND_GIT (a bare or normal
#     clone, wherever you keep it; there is no default). Tag v1.2.1 must
#     resolve to commit 7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25 (a git commit id is a hash of the whole
#     tree, so this pins the source exactly); provider/ at that commit is extracted with `git archive`
#     into a temp folder and built with its own go.mod and go.sum (-mod=readonly: every dependency
#     comes from the proxy and is verified against that go.sum). Nothing of pulumi-command is copied
#     into this repository. To provide one: `git clone --branch v1.2.1
#     https://github.com/pulumi/pulumi-command` and set PULUMI_COMMAND_GIT to the clone.
# Both build with -ldflags "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=1.2.1" (the
# variable upstream's Makefile stamps; the binary reports it as its plugin version), CGO_ENABLED=0,
# GOTOOLCHAIN=local, and share GOMODCACHE/GOCACHE ($PULUMI_APPARMOR_CACHE/go/{mod,build}) with build.sh.
# Cache key: this script's non-comment lines, version and commit, Go version, GOOS/GOARCH.
set -euo pipefail

cache="${PULUMI_APPARMOR_CACHE:-/var/cache/pulumi-apparmor}"

COMMAND_VERSION=1.2.1
COMMAND_TAG=v1.2.1
COMMAND_COMMIT=7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25
# Pseudo-version of $COMMAND_COMMIT (its commit time, 2026-03-03 23:59:22 UTC).
COMMAND_PSEUDO=v0.0.0-20260303235922-7f3eb6f3b77c
MODULE=github.com/pulumi/pulumi-command/provider
VERSION_VAR=$MODULE/pkg/version.Version

log() { echo "command-build: $*" >&2; }

command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { log "go is not installed"; exit 1; }

key="$(
    {
        grep -v '^[[:space:]]*#' "${BASH_SOURCE[0]}"
        echo "$COMMAND_VERSION $COMMAND_COMMIT"
        go version
        go env GOOS GOARCH
    } | sha256sum | cut -c1-16
)"
out="$cache/engine-command/$key"

if [ -f "$out/bin/.complete" ]; then
    log "cached: $out/bin"
    echo "$out/bin"
    exit 0
fi

mkdir -p "$cache/engine-command" "$cache/go/mod" "$cache/go/build"
exec 9>"$cache/engine-command/.lock"
log "waiting for the build lock"
flock 9
if [ -f "$out/bin/.complete" ]; then
    log "built by another caller: $out/bin"
    echo "$out/bin"
    exit 0
fi

export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" CGO_ENABLED=0 GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off
rm -rf "$cache/engine-command"/.tmp.*
tmp="$(mktemp -d "$cache/engine-command/.tmp.$key.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/bin" "$tmp/src"
ldflags="-s -w -X $VERSION_VAR=$COMMAND_VERSION"
start=$(date +%s)
source_note=""

# 1. The module proxy (refusals remembered for a day).
refused="$cache/engine-command/proxy-refused.$key"
if [ -n "$(find "$refused" -mmin -1440 2>/dev/null)" ]; then
    log "skipping the module proxy: it refused $MODULE@$COMMAND_PSEUDO within the last day ($refused)"
else
    log "trying the module proxy: $MODULE/cmd/pulumi-resource-command@$COMMAND_PSEUDO"
    if (cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS=-buildvcs=false go install -ldflags "$ldflags" \
        "$MODULE/cmd/pulumi-resource-command@$COMMAND_PSEUDO") 2>"$tmp/proxy.err"; then
        source_note="module proxy: $MODULE@$COMMAND_PSEUDO"
    else
        log "the module proxy did not serve it: $(grep -m1 -o '[0-9][0-9][0-9] [A-Za-z ]*' "$tmp/proxy.err" || head -c 300 "$tmp/proxy.err")"
        touch "$refused"
    fi
fi

# 2. A verified git checkout.
if [ -z "$source_note" ]; then
    gitrepo="${PULUMI_COMMAND_GIT:-}"
    if [ -z "$gitrepo" ]; then
        log "pulumi-resource-command $COMMAND_VERSION NOT built: the module proxy refuses $MODULE and no git"
        log "repository of it was given. Provide one: git clone --branch $COMMAND_TAG https://github.com/pulumi/pulumi-command"
        log "and set PULUMI_COMMAND_GIT to the clone (tag $COMMAND_TAG must be commit $COMMAND_COMMIT)."
        exit 3
    fi
    if [ -d "$gitrepo/.git" ]; then
        gitdir="$gitrepo/.git"
    else
        gitdir="$gitrepo"
    fi
    G() { git --git-dir="$gitdir" "$@"; }
    if ! G rev-parse --git-dir >/dev/null 2>&1; then
        log "pulumi-resource-command $COMMAND_VERSION NOT built: PULUMI_COMMAND_GIT=$gitrepo is not a git repository."
        log "Point it at a clone of https://github.com/pulumi/pulumi-command that has the upstream tag $COMMAND_TAG."
        exit 3
    fi
    got="$(G rev-parse --verify -q "refs/tags/$COMMAND_TAG^{commit}" 2>/dev/null || true)"
    if [ "$got" != "$COMMAND_COMMIT" ]; then
        log "pulumi-resource-command $COMMAND_VERSION NOT built: in PULUMI_COMMAND_GIT=$gitrepo tag $COMMAND_TAG"
        log "resolves to '${got:-nothing}', expected $COMMAND_COMMIT. Point PULUMI_COMMAND_GIT at a clone of"
        log "https://github.com/pulumi/pulumi-command that has the upstream tag $COMMAND_TAG."
        exit 3
    fi
    log "building from $gitrepo at $COMMAND_TAG ($COMMAND_COMMIT), provider/ only"
    G archive --format=tar "$COMMAND_COMMIT" provider | tar -x -C "$tmp/src"
    head -n 1 "$tmp/src/provider/go.mod" | grep -qx "module $MODULE" || {
        log "provider/go.mod at $COMMAND_COMMIT does not declare module $MODULE"
        exit 1
    }
    (cd "$tmp/src/provider" && go build -o "$tmp/bin/pulumi-resource-command" -ldflags "$ldflags" \
        ./cmd/pulumi-resource-command)
    source_note="git $gitrepo, tag $COMMAND_TAG = commit $COMMAND_COMMIT, provider/ built with its own go.mod/go.sum"
fi

{
    echo "pulumi-resource-command $COMMAND_VERSION"
    echo "source: $source_note"
    echo "built in $(($(date +%s) - start)) s with $(go version)"
} >"$tmp/bin/VERSIONS"
rm -rf "$tmp/src" "$tmp/proxy.err"
touch "$tmp/bin/.complete"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
find "$cache/engine-command" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name '.tmp.*' -mtime +7 \
    -exec rm -rf {} + 2>/dev/null || true
log "built in $(($(date +%s) - start)) s: $out/bin"
echo "$out/bin"
