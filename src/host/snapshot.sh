# snapshot NAME DIR — what a rollout reads after it changed a profile on a host (its look before is
# install's `prior`). Changes nothing (no lock: a read of one file and of the kernel's lists).
# Result: {"ok":true,"name","present","managed","sha256","bytes","kernelMode","docker","containers":[
#          {"id","label"}]} followed by the profile file's exact text ("bytes" bytes; none when absent).
#   present     DIR/NAME is a regular file (not a symlink)
#   managed     this library installed it (a manifest exists)
#   kernelMode  NAME's mode in the kernel (enforce, complain, …), "" when not loaded
#   docker      true when the list is complete (the docker CLI answered, or no container runs);
#               containers = the running containers started with
#               --security-opt apparmor=NAME, each with the kernel's label of its init process
#               (`/proc/PID/attr/current`, e.g. "NAME (enforce)", or "unconfined"). Docker runs every
#               container under a containerd shim: with no shim process on the host there is no
#               running container, and the (slow) docker CLI is not asked.

[ $# -eq 2 ] || usage "NAME DIR"
check_name "$1"
check_dir "$2"
need_root

# any_shim: some process is a containerd shim (its command name starts with containerd-shim).
any_shim() {
    for f in /proc/[0-9]*/comm; do
        c=
        IFS= read -r c 2>/dev/null <"$f" || true
        case $c in containerd-shim*) return 0 ;; esac
    done
    return 1
}

name=$1
file=$2/$name
present=false
sha=
bytes=0
if [ -f "$file" ] && [ ! -L "$file" ]; then
    present=true
    sha=$(sha256_of "$file") || fail io "cannot read $file"
    bytes=$(wc -c <"$file") || fail io "cannot read $file"
fi
managed=false
[ -f "$PA_MANIFESTS/$name" ] && managed=true
kernel_mode_var "$name"

docker=false
containers=
if ! command -v docker >/dev/null 2>&1; then
    :
elif ! any_shim; then
    docker=true
elif ids=$(docker ps -q --no-trunc 2>/dev/null); then
    docker=true
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086 # container ids: hex words from docker itself
        list=$(docker inspect -f '{{.Id}} {{.State.Pid}} {{.AppArmorProfile}}' $ids 2>/dev/null) || list=
        while read -r id pid prof; do
            [ "$prof" = "$name" ] || continue
            case $id$pid in *[!0-9a-f]*) continue ;; esac
            label=unconfined
            if [ "$pid" != 0 ] && [ -r "/proc/$pid/attr/current" ]; then
                IFS= read -r label <"/proc/$pid/attr/current" || true
            fi
            containers="$containers${containers:+,}{\"id\":\"$id\",\"label\":$(printf '%s' "$label" | json_str)}"
        done <<EOF
$list
EOF
    fi
fi

printf '{"ok":true,"name":"%s","present":%s,"managed":%s,"sha256":"%s","bytes":%s,"kernelMode":"%s","docker":%s,"containers":[%s]}\n' \
    "$name" "$present" "$managed" "$sha" "$bytes" "${pa_kmode:-}" "$docker" "$containers"
if $present; then cat -- "$file"; fi
