#!/usr/bin/env bash
# install-plugins.sh BIN — makes the provider plugins of the engine folder BIN (from test/engine/build.sh)
# installed plugins of "$PULUMI_HOME" (symlinks under $PULUMI_HOME/plugins/resource-NAME-vVERSION, the
# versions read from BIN's VERSIONS files), so that the engine, run with
# PULUMI_IGNORE_AMBIENT_PLUGINS=true, finds them without a "using pulumi-resource-… from $PATH"
# warning on every run. pulumi-resource-pulumi-nodejs (dynamic providers) and the language host are
# found next to the pulumi binary and need nothing here. Prints one line per plugin linked.
set -euo pipefail
bin=${1:?usage: install-plugins.sh BIN (with PULUMI_HOME set)}
: "${PULUMI_HOME:?set PULUMI_HOME}"
[ -x "$bin/pulumi" ] || { echo "install-plugins: no pulumi in $bin" >&2; exit 1; }
found=0
for versions in "$bin"/VERSIONS*; do
    [ -f "$versions" ] || continue
    while read -r plugin version _; do
        case $plugin in pulumi-resource-*) ;; *) continue ;; esac
        name=${plugin#pulumi-resource-}
        [ "$name" != pulumi-nodejs ] || continue
        [[ $version =~ ^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || {
            echo "install-plugins: no version for $plugin in $versions" >&2
            exit 1
        }
        [ -x "$bin/$plugin" ] || continue
        dir="$PULUMI_HOME/plugins/resource-$name-v${version#v}"
        mkdir -p "$dir"
        ln -sfn "$bin/$plugin" "$dir/$plugin"
        echo "$plugin ${version#v}"
        found=$((found + 1))
    done <"$versions"
done
[ "$found" -gt 0 ] || { echo "install-plugins: no provider plugin listed in $bin/VERSIONS*" >&2; exit 1; }
