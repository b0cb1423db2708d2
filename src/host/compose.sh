# compose ACTION PROJECT [SHA256] [timeout=SECONDS] [adopt] [from=OWNER] [dir=PATH] [owner=OWNER]
#   [was=OWNER] — the
# compose projects of ComposeProject.
#   up PROJECT SHA256   the compose file on stdin (at most 1 MiB; SHA256 is that of the exact bytes, so
#                       a cut connection changes nothing), kept as $PA_STATE/compose/PROJECT/compose.yaml
#                       (root only) and run with `COMPOSE -p PROJECT -f FILE --project-directory DIR
#                       up -d --remove-orphans`: compose itself recreates only the services whose
#                       definition changed. DIR is the option dir= (an existing absolute folder on the
#                       host, no `..` component, not $PA_STATE nor inside it, also once symbolic links
#                       are resolved: where the file's relative paths — bind mounts, env_file, build
#                       contexts, and compose's own .env — resolve), recorded beside the kept file as
#                       project-directory; without it, $PA_STATE/compose/PROJECT itself.
#                       The kept file is the record that the project is ours: without it, containers
#                       (running or stopped) carrying compose's label for PROJECT belong to a project
#                       someone else started, and `up` refuses (error foreign-project, nothing changed)
#                       unless the option `adopt` says to take it over (compose then recreates its
#                       containers from our file and removes those of services not in it).
#                       owner= names the Pulumi stack that declares the project (ORG/PROJECT/STACK),
#                       recorded beside the kept file as `owner`: a kept file with another recorded
#                       owner belongs to another stack, and `up` refuses (error foreign-owner, nothing
#                       changed) unless from= names exactly that owner (`adopt` alone never takes a
#                       project from another stack: adopting what no one manages and taking what
#                       another stack manages are different acts); was= is a former name of the
#                       caller's own stack (a renamed stack), accepted as ours. A kept file without an
#                       owner record (written by an earlier version) is ours, and gets the owner
#                       recorded.
#   ps PROJECT          the project's containers; changes nothing, takes no lock.
#   down PROJECT        `COMPOSE -p PROJECT -f FILE down --remove-orphans` with the kept file (and the
#                       recorded project directory, while it exists), then what
#                       compose left of the project (its containers, by compose's project label), then
#                       the kept file. Without a kept file the project is not ours: nothing is removed;
#                       nor when the recorded owner is another than owner= (another stack took it over).
# COMPOSE is `docker compose` when the docker CLI has the plugin, else `docker-compose`.
# up and down run under the host lock (lib.sh take_lock), like install and remove: a profile is not
# unloaded while a project starts on it. Each compose run is bounded by timeout= (default 300 s).
# Result: {"ok":true,"tool":"docker compose"|"docker-compose","adopted":BOOL,"adoptedFrom":OWNER,
# "owner":OWNER,"containers":[{"id","service","running","label"}]} — adopted: this `up` took over a
# project it had no record of (adopt), or one another stack owned (from=); adoptedFrom: that stack
# ("" otherwise); owner: the owner recorded on the host after the action ("" when none: no
# record, or one without owner; after a `down` that removed nothing, the stack that owns the project);
# label: the kernel's label of the container's init process (/proc/PID/attr/current, e.g.
# "web (enforce)"), "unconfined", or "" when the container is not running.

opts='[timeout=SECONDS] [adopt] [from=OWNER] [dir=PATH] [owner=OWNER] [was=OWNER]'
[ $# -ge 2 ] || usage "up|ps|down PROJECT [SHA256] $opts"
action=$1
project=$2
shift 2
case $action in up | ps | down) ;; *) usage "up|ps|down PROJECT [SHA256] $opts" ;; esac
# Compose's own rule for project names (lowercase letters, digits, dashes, underscores; a letter or
# digit first), at most 100 characters: the name is also a folder name below $PA_STATE/compose.
case $project in
'' | [!a-z0-9]* | *[!a-z0-9_-]*) fail bad-project "project name must match [a-z0-9][a-z0-9_-]*" 2 ;;
esac
[ "${#project}" -le 100 ] || fail bad-project "project name is longer than 100 characters" 2
sha=
if [ "$action" = up ]; then
    [ $# -ge 1 ] || usage "up PROJECT SHA256 $opts"
    sha=$1
    shift
    case $sha in
    *[!0-9a-f]* | '') fail bad-sha256 "SHA256 must be 64 lowercase hex digits" 2 ;;
    *) [ "${#sha}" -eq 64 ] || fail bad-sha256 "SHA256 must be 64 lowercase hex digits" 2 ;;
    esac
fi
limit=300
adopt=false
adopted=false
adopted_from=
from=
dir=
owner=
was=
# in_state PATH: PATH is $PA_STATE or inside it (after removing empty and . components).
in_state() {
    p=$(printf '%s/' "$1" | sed -e 's|/\(\./\)*|/|g' -e 's|//*|/|g')
    case $p in "$PA_STATE"/ | "$PA_STATE"/*) return 0 ;; esac
    return 1
}
# check_owner VALUE: ORG/PROJECT/STACK of Pulumi names (letters, digits, . _ -), at most 300 characters.
check_owner() {
    case $1 in
    '' | /* | */ | *//* | */*/*/* | *[!A-Za-z0-9._/-]*) fail bad-owner "an owner must be ORG/PROJECT/STACK of letters, digits, '.', '_' and '-'" 2 ;;
    */*/*) ;;
    *) fail bad-owner "an owner must be ORG/PROJECT/STACK of letters, digits, '.', '_' and '-'" 2 ;;
    esac
    [ "${#1}" -le 300 ] || fail bad-owner "an owner is at most 300 characters" 2
}
for opt in "$@"; do
    case $opt in
    owner=*)
        [ "$action" != ps ] || fail bad-option "owner is an option of up and down only" 2
        owner=${opt#owner=}
        check_owner "$owner"
        ;;
    was=*)
        [ "$action" = up ] || fail bad-option "was is an option of up only" 2
        was=${opt#was=}
        check_owner "$was"
        ;;
    from=*)
        [ "$action" = up ] || fail bad-option "from is an option of up only" 2
        from=${opt#from=}
        check_owner "$from"
        ;;
    dir=*)
        [ "$action" = up ] || fail bad-option "dir is an option of up only" 2
        dir=${opt#dir=}
        case $dir in /*) ;; *) fail bad-directory "the project directory must be an absolute path" 2 ;; esac
        case $dir/ in
        */../* | *[[:cntrl:]]*) fail bad-directory "the project directory must have no .. component and no control character (newline, tab, ...)" 2 ;;
        esac
        [ "${#dir}" -le 1024 ] || fail bad-directory "the project directory is longer than 1024 characters" 2
        in_state "$dir" && fail bad-directory "the project directory is $PA_STATE or inside it, the library's own records; nothing was changed. Set projectDirectory to the folder of the project's files elsewhere" 2
        ;;
    adopt)
        [ "$action" = up ] || fail bad-option "adopt is an option of up only" 2
        adopt=true
        ;;
    timeout=*)
        limit=${opt#timeout=}
        case $limit in '' | *[!0-9]*) fail bad-option "timeout must be a whole number of seconds" 2 ;; esac
        if [ "$limit" -lt 1 ] || [ "$limit" -gt 3600 ]; then fail bad-option "timeout must be 1 to 3600 seconds" 2; fi
        ;;
    *) fail bad-option "unknown option (allowed: timeout=SECONDS, owner=OWNER; adopt, from=OWNER, dir=PATH and was=OWNER for up)" 2 ;;
    esac
done
need_root
command -v docker >/dev/null 2>&1 || fail no-docker "docker not found on the host"
if docker compose version >/dev/null 2>&1; then
    tool="docker compose"
elif command -v docker-compose >/dev/null 2>&1; then
    tool=docker-compose
else
    fail no-compose "neither 'docker compose' nor 'docker-compose' is installed; fix: install Docker's compose plugin or apt-get install docker-compose"
fi
# docker-compose 1.x gives up on a docker API call after COMPOSE_HTTP_TIMEOUT (60 s), e.g. stopping
# several containers on a slow host: give it the script's own bound instead.
COMPOSE_HTTP_TIMEOUT=$limit
export COMPOSE_HTTP_TIMEOUT
pdir=$PA_STATE/compose/$project
file=$pdir/compose.yaml
dirfile=$pdir/project-directory
ownerfile=$pdir/owner
# result_owner: the "owner" of the result (the owner recorded on the host after the action).
result_owner=

# write_record FILE VALUE: FILE (root only) holds the line VALUE; an empty VALUE removes FILE.
write_record() {
    if [ -n "$2" ]; then
        printf '%s\n' "$2" >"$1.tmp" || fail io "cannot write $1.tmp"
        chmod 0600 "$1.tmp" || fail io "cannot protect $1.tmp"
        mv -f "$1.tmp" "$1" || fail io "cannot write $1"
    else
        rm -f "$1" || fail io "cannot remove $1"
    fi
}

# recorded_owner: the owner recorded beside the kept file, or nothing (no record, or one written by a
# version that recorded none).
recorded_owner() {
    if [ -f "$ownerfile" ] && [ ! -L "$ownerfile" ]; then
        IFS= read -r o <"$ownerfile" || true
        printf '%s' "$o"
    fi
}

# is_ours OWNER: OWNER (as recorded) is the caller: none recorded, owner= or was=.
is_ours() {
    [ -z "$1" ] || [ "$1" = "$owner" ] || { [ -n "$was" ] && [ "$1" = "$was" ]; }
}
# rundir: the --project-directory of the compose runs (up: dir= or $pdir; down: the recorded one).
rundir=$pdir

# run_compose ARGS...: the project's compose command, bounded by the timeout; its output goes to
# stderr (the first stdout line is this script's JSON).
run_compose() {
    if [ "$tool" = "docker compose" ]; then
        timeout "$limit" docker compose -p "$project" -f "$file" --project-directory "$rundir" "$@" >&2
    else
        timeout "$limit" docker-compose -p "$project" -f "$file" --project-directory "$rundir" "$@" >&2
    fi
}

# project_ids: the ids of every container (running or not) carrying compose's label for the project.
project_ids() {
    docker ps -a -q --no-trunc --filter "label=com.docker.compose.project=$project"
}

# print_result: the JSON result with the project's containers and the kernel's label of each.
print_result() {
    ids=$(project_ids) || fail docker "docker ps failed"
    out=
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086 # container ids: hex words from docker itself
        list=$(docker inspect -f '{{.Id}} {{.State.Pid}} {{.State.Running}} {{index .Config.Labels "com.docker.compose.service"}}' $ids) ||
            fail docker "docker inspect failed"
        while read -r id pid running service; do
            case $id$pid in '' | *[!0-9a-f]*) continue ;; esac
            label=
            if [ "$running" = true ] && [ "$pid" != 0 ]; then
                label=unconfined
                [ ! -r "/proc/$pid/attr/current" ] || IFS= read -r label <"/proc/$pid/attr/current" || true
            fi
            [ "$running" = true ] || running=false
            out="$out${out:+,}{\"id\":\"$id\",\"service\":$(printf '%s' "$service" | json_str),\"running\":$running,\"label\":$(printf '%s' "$label" | json_str)}"
        done <<EOF
$list
EOF
    fi
    printf '{"ok":true,"tool":"%s","adopted":%s,"adoptedFrom":%s,"owner":%s,"containers":[%s]}\n' "$tool" \
        "$adopted" "$(printf '%s' "$adopted_from" | json_str)" "$(printf '%s' "$result_owner" | json_str)" "$out"
}

case $action in
ps)
    result_owner=$(recorded_owner)
    print_result
    ;;
up)
    # Read and check the whole file before taking the lock: a slow sender must not block other changes.
    [ -d "$PA_STATE" ] || mkdir -p "$PA_STATE" || fail io "cannot create $PA_STATE"
    input=$(mktemp "$PA_STATE/.compose-in.XXXXXX") || fail io "cannot create a temporary file"
    track_tmp "$input"
    head -c 1048577 >"$input" || fail io "cannot read the compose file from stdin"
    [ "$(wc -c <"$input")" -le 1048576 ] || fail too-large "the compose file is larger than 1 MiB"
    got=$(sha256_of "$input") || fail io "cannot hash the compose file"
    [ "$got" = "$sha" ] ||
        fail incomplete-input "stdin sha256 $got differs from the expected $sha (connection cut?); nothing was changed"
    if [ -n "$dir" ]; then
        [ -d "$dir" ] ||
            fail no-directory "the project directory $dir does not exist on this host or is not a folder; nothing was changed. Create it (with the files the compose file refers to), or correct projectDirectory"
        # The same rule once symbolic links are resolved: a link into the library's records is
        # refused too.
        real=$(cd "$dir" && pwd -P) || fail no-directory "cannot enter the project directory $dir; nothing was changed"
        state_real=$(cd "$PA_STATE" && pwd -P) || fail io "cannot enter $PA_STATE"
        case $real/ in
        "$state_real"/*) fail bad-directory "the project directory $dir is $PA_STATE or inside it once symbolic links are resolved ($real), the library's own records; nothing was changed. Set projectDirectory to the folder of the project's files elsewhere" 2 ;;
        esac
        rundir=$dir
    fi
    ignore_hangup
    take_lock
    # Ownership: no kept file means no `up` of ours ran for PROJECT here (down removes it last), so
    # containers with the project's label are someone else's project: never taken over silently.
    if [ ! -f "$file" ] || [ -L "$file" ]; then
        ids=$(project_ids) || fail docker "docker ps failed"
        if [ -n "$ids" ]; then
            if ! $adopt; then
                total=$(printf '%s\n' "$ids" | wc -l)
                running=$(docker ps -q --filter "label=com.docker.compose.project=$project" | wc -l) ||
                    fail docker "docker ps failed"
                total=$((total + 0))
                running=$((running + 0))
                fail foreign-project "compose project $project already runs on this host with $total container(s) ($running running) that pulumi-apparmor did not start (no record in $pdir); nothing was changed. Choose another projectName, or set adopt: true on the ComposeProject to take the project over (compose then recreates its containers under the profiles and removes those of services not in the file; deleting the ComposeProject brings the project down)"
            fi
            adopted=true
        fi
    else
        # Ours, but whose: a record of another stack is that stack's project.
        recorded=$(recorded_owner)
        if ! is_ours "$recorded"; then
            if [ "$from" != "$recorded" ]; then
                if [ -n "$from" ]; then
                    asked="adoptFrom names $from, not that stack"
                elif $adopt; then
                    asked="adopt: true takes over only a project no stack manages"
                else
                    asked="this stack is ${owner:-not named}"
                fi
                fail foreign-owner "compose project $project on this host is managed by another Pulumi stack, $recorded (recorded in $ownerfile; $asked); nothing was changed. Choose another projectName, or set adoptFrom: \"$recorded\" on the ComposeProject to take the project over from that stack (its later down then removes nothing)"
            fi
            adopted=true
            adopted_from=$recorded
        fi
    fi
    for d in "$PA_STATE/compose" "$pdir"; do
        [ ! -L "$d" ] || fail io "$d is a symbolic link; refusing"
        mkdir -p "$d" || fail io "cannot create $d"
        chmod 0700 "$d" || fail io "cannot protect $d"
    done
    chmod 0600 "$input" || fail io "cannot protect the compose file"
    mv -f "$input" "$file" || fail io "cannot write $file"
    write_record "$dirfile" "$dir"
    write_record "$ownerfile" "$owner"
    result_owner=$owner
    run_compose up -d --remove-orphans || fail compose-failed "$tool up failed for project $project (its messages are on stderr)"
    release_lock
    print_result
    ;;
down)
    ignore_hangup
    take_lock
    recorded=$(recorded_owner)
    if ! is_ours "$recorded"; then
        # Another stack's project (it took the project over): nothing of it is removed.
        result_owner=$recorded
    elif [ -f "$file" ] && [ ! -L "$file" ]; then
        # The folder the project was started in, while it still is one (else compose runs in $pdir).
        if [ -f "$dirfile" ] && [ ! -L "$dirfile" ] && IFS= read -r d <"$dirfile" && [ -d "$d" ]; then
            rundir=$d
        fi
        # A failed down (e.g. the project's folder or a relative env_file it names is gone: compose
        # then refuses to load the file) still ends with the project's containers and networks
        # removed by compose's label; it fails only when some are left.
        down_ok=true
        run_compose down --remove-orphans || down_ok=false
        # What compose left behind: the project's containers by its label.
        ids=$(project_ids) || fail docker "docker ps failed"
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086 # container ids: hex words from docker itself
            docker rm -f $ids >/dev/null || fail docker "docker rm failed for project $project"
        fi
        if ! $down_ok; then
            nets=$(docker network ls -q --no-trunc --filter "label=com.docker.compose.project=$project") ||
                fail docker "docker network ls failed"
            if [ -n "$nets" ]; then
                # shellcheck disable=SC2086 # network ids: hex words from docker itself
                docker network rm $nets >/dev/null ||
                    fail compose-failed "$tool down failed for project $project and its networks could not be removed (messages on stderr)"
            fi
            left=$(project_ids) || fail docker "docker ps failed"
            [ -z "$left" ] ||
                fail compose-failed "$tool down failed for project $project and containers are left (messages on stderr)"
        fi
    fi
    # Without a kept file the project (if any) is not ours: its containers stay.
    if is_ours "$recorded"; then
        rm -rf "$pdir" || fail io "cannot remove $pdir"
    fi
    release_lock
    print_result
    ;;
esac
