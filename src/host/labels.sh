# labels ID… — the kernel's AppArmor label of each container's init process: what the Confinement
# check of ProfiledContainer reads (see src/host/labels.ts). Read-only, no lock. Run alone or as a
# part of `read` (one run for a refresh's whole read of a host).
#   ID   a docker container ID or ID prefix, 12 to 64 lowercase hex digits (1 to 500 of them)
# One `docker inspect --type container` for all IDs (stopped after 60 s when `timeout` exists: a hung
# dockerd fails this script, code docker-timeout, and not the parts of a read run beside it), then
# each init process's /proc/PID/attr/current, read by the shell (no process started per container).
# Output: {"ok":true,"apparmor":{"enabled":B},"containers":[{"id","name","pid","label"}…]}: one entry
# per container docker found for the IDs, in docker's order. An ID docker does not know (or docker
# missing or not answering) has none: the client calls that container missing. pid 0: not running
# (label ""). label: the first line of the file ("NAME (enforce)", "unconfined"…), or "unconfined"
# when it cannot be read or is empty. enabled: /sys/module/apparmor/parameters/enabled is Y (with
# AppArmor off, a running container is unconfined whatever another LSM's label says).

[ $# -ge 1 ] || usage "ID..."
[ $# -le 500 ] || usage "ID...: at most 500 IDs"
for id in "$@"; do
    case $id in
        '' | *[!0-9a-f]*) fail bad-id "invalid container ID (12 to 64 lowercase hex digits)" 2 ;;
    esac
    { [ "${#id}" -ge 12 ] && [ "${#id}" -le 64 ]; } ||
        fail bad-id "invalid container ID (12 to 64 lowercase hex digits)" 2
done
need_root

enabled=false
apparmor_enabled && enabled=true
list=
if command -v docker >/dev/null 2>&1; then
    rc=0
    if command -v timeout >/dev/null 2>&1; then
        list=$(timeout -k 5 60 docker inspect --type container -f '{{.Id}} {{.State.Pid}} {{.Name}}' "$@" 2>/dev/null </dev/null) || rc=$?
    else
        list=$(docker inspect --type container -f '{{.Id}} {{.State.Pid}} {{.Name}}' "$@" 2>/dev/null </dev/null) || rc=$?
    fi
    # an unknown ID makes docker exit 1 after printing the others: only a stop by timeout fails
    ! timed_out "$rc" || fail docker-timeout "docker inspect did not answer within 60 s (is dockerd hung?)"
fi

# js S: S as a JSON string; only a string with other characters than these (quotes, backslashes,
# control or non-ASCII bytes) costs the json_str pipeline.
safe='A-Za-z0-9 ._+:@=/()-'
js() {
    # shellcheck disable=SC2254 # $safe is meant as a bracket expression
    case $1 in
        *[!$safe]*) printf '%s' "$1" | json_str ;;
        *) printf '"%s"' "$1" ;;
    esac
}

printf '{"ok":true,"apparmor":{"enabled":%s},"containers":[' "$enabled"
sep=
while read -r l_id l_pid l_name; do
    case $l_id in '' | *[!0-9a-f]*) continue ;; esac
    case $l_pid in '' | *[!0-9]*) continue ;; esac
    l_label=
    if [ "$l_pid" != 0 ]; then
        # read by the shell itself (no process per container); unreadable (the process is gone, or
        # no LSM answers: EINVAL) or empty: unconfined
        { IFS= read -r l_label <"/proc/$l_pid/attr/current"; } 2>/dev/null || [ -n "$l_label" ] || l_label=unconfined
    fi
    printf '%s{"id":"%s","name":' "$sep" "$l_id"
    js "$l_name"
    printf ',"pid":%s,"label":' "$l_pid"
    js "$l_label"
    printf '}'
    sep=,
done <<EOF
$list
EOF
printf ']}\n'
