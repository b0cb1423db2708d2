# lib-docker.sh — the containers started with a profile and the kernel's label of each. Sourced
# (after lib.sh) by install for its `labels` option: a rollout verifies the containers right after
# the change, in the same round trip; inventory uses any_shim.

# any_shim: some process is a containerd shim (its command name starts with containerd-shim).
any_shim() {
    for pa_f in /proc/[0-9]*/comm; do
        pa_c=
        IFS= read -r pa_c 2>/dev/null <"$pa_f" || true
        case $pa_c in containerd-shim*) return 0 ;; esac
    done
    return 1
}

# containers_var NAME: sets pa_docker to true when the list is complete (the docker CLI answered, or
# no container runs: Docker runs every container under a containerd shim, and with no shim process
# the slow docker CLI is not asked) and pa_containers to the JSON objects {"id","label"}, comma
# separated, of the running containers started with --security-opt apparmor=NAME, each with the
# kernel's label of its init process (/proc/PID/attr/current, e.g. "NAME (enforce)", or "unconfined").
containers_var() {
    # shellcheck disable=SC2034 # pa_docker, pa_containers: read by the scripts
    pa_docker=false
    pa_containers=
    if ! command -v docker >/dev/null 2>&1; then
        return 0
    elif ! any_shim; then
        pa_docker=true
        return 0
    fi
    pa_ids=$(docker ps -q --no-trunc 2>/dev/null) || return 0
    # shellcheck disable=SC2034 # read by the scripts
    pa_docker=true
    [ -n "$pa_ids" ] || return 0
    # shellcheck disable=SC2086 # container ids: hex words from docker itself
    pa_list=$(docker inspect -f '{{.Id}} {{.State.Pid}} {{.AppArmorProfile}}' $pa_ids 2>/dev/null) || pa_list=
    while read -r pa_id pa_pid pa_prof; do
        [ "$pa_prof" = "$1" ] || continue
        case $pa_id$pa_pid in *[!0-9a-f]*) continue ;; esac
        pa_label=unconfined
        if [ "$pa_pid" != 0 ] && [ -r "/proc/$pa_pid/attr/current" ]; then
            IFS= read -r pa_label <"/proc/$pa_pid/attr/current" || true
        fi
        pa_containers="$pa_containers${pa_containers:+,}{\"id\":\"$pa_id\",\"label\":$(printf '%s' "$pa_label" | json_str)}"
    done <<EOF
$pa_list
EOF
}
