# shellcheck shell=bash
# Sourced by the demos (examples/*/demo.sh) and test/engine/plugins.test.ts:
#
#   . test/engine/engine-env.sh
#   use_engine REPO HOME
#
# runs the engine choice of test/support/engineSelect.ts (PULUMI_APPARMOR_ENGINE=build: built from
# source; otherwise a `pulumi` on PATH of v3.248.0 or newer, else the source build), which prints one
# line saying which engine runs, and sets up this shell to run it with PULUMI_HOME=HOME:
#   - built from source: its folder first on PATH, its providers installed as plugins of HOME
#     (test/engine/install-plugins.sh) and PULUMI_IGNORE_AMBIENT_PLUGINS=true, so the engine finds
#     them without a "using pulumi-resource-… from $PATH" warning; no plugin downloads.
#   - a pulumi from PATH: HOME's plugins folder is a link to the plugins of the user's own
#     PULUMI_HOME (default ~/.pulumi), so that pulumi finds (or installs) its providers as it always
#     does.
# Sets ENGINE_LAYOUT (built or own) and ENGINE_BIN (the folder of `pulumi`).
use_engine() {
    local repo=$1 home=$2 sel user_plugins
    sel="$(cd "$repo" && node -r ts-node/register/transpile-only test/support/engineSelect.ts)" || return 1
    ENGINE_LAYOUT=${sel%%$'\t'*}
    ENGINE_BIN=${sel#*$'\t'}
    user_plugins="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
    export PULUMI_HOME="$home"
    mkdir -p "$home"
    export PATH="$ENGINE_BIN:$PATH"
    if [ "$ENGINE_LAYOUT" = built ]; then
        export PULUMI_IGNORE_AMBIENT_PLUGINS=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
        bash "$repo/test/engine/install-plugins.sh" "$ENGINE_BIN" >/dev/null || return 1
    else
        mkdir -p "$user_plugins"
        ln -sfn "$user_plugins" "$home/plugins"
    fi
}
