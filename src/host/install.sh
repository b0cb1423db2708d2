# install NAME MODE DIR SHA256 [OPTION...] — profile text on stdin.
#   MODE    enforce | complain | keep (keep = use the text's own header flags)
#   DIR     directory of the profile files, below /etc/apparmor.d, e.g. /etc/apparmor.d/containers
#           (every existing component must be root-owned and not writable by group or others)
#   SHA256  sha256 of the exact stdin bytes, or - to skip the check (a cut SSH connection then cannot
#           install a truncated text)
#   OPTION  adopt       replace a file DIR/NAME or a loaded profile NAME that pulumi-apparmor did not
#                       install (refused otherwise); what was there is kept and `remove` restores it
#           timeout=N   seconds each apparmor_parser step may take (default 120): a step that takes
#                       longer (e.g. an included FIFO) is stopped and the install fails, changing nothing
#           prior       also report what the host had, read under the lock before anything changes
#                       (a rollout's look and install in one round trip): see "With prior" below
#           unless=SHA256:KMODE   with prior: change nothing when DIR/NAME has that sha256 and the
#                       kernel runs NAME in mode KMODE (a host already on the version)
#           labels      with prior: after the change, list the containers started with NAME and their labels
#                       (a rollout verifies them in the same round trip): see "With labels" below
#           log=MAXBYTES  with prior: after the change, the log lines written since the position
#                       (a rollout's soak of 0 seconds, read in the same round trip)
#           facts       also report the host's AppArmor ABI ("hostAbi" in the result line: parser
#                       version, kernel, ABI files, kernel features; see abi_facts in lib-abi.sh,
#                       kept between runs by abi_facts_cached)
#           position    also report the log's end taken before the load (what `denials now` says),
#                       whether or not the profile was loaded: see "With position" below (not with
#                       prior, which reports its own)
# Result: {"ok":true,"name","dir","changed","wrote","reloaded","manifestUpdated","adopted","mode",
#          "sha256","policySha1","kernelMode","bootLoad"}  (adopted: this run took over an unmanaged
#          file or policy; bootLoad: the boot unit that reloads our profiles after a reboot is in place;
#          false on hosts without systemd)
# With prior: that line (or {"ok":true,"name","dir","kept":true} when `unless` matched), then
#   {"prior":{"present","sha256","kernelMode","bytes"},"position","source"} and the previous file's
#   exact text ("bytes" bytes, its sha256 is "sha256"; none when absent). position: the log's end
#   before the change, as `denials` takes it (journal:…, auditlog:INODE:SIZE, …; "" when the profile
#   was not loaded, since nothing ran under it, or when the host has no log); source: that log's
#   source.
# With position: the result line, then {"position","source"} (both "" when the host has no log).
# With labels (not when `unless` matched): then {"labels":{"docker","containers":[{"id","label"}]}}
#   (see containers_var in lib-docker.sh). With log (not when `unless` matched, and only when a
#   position was taken): then what `denials POSITION MAXBYTES SOURCE` prints. Both are read after the
#   host lock is released.

# shellcheck disable=SC2034 # pa_adopt: read by apply_profile (lib.sh)
[ $# -ge 4 ] || usage "NAME enforce|complain|keep DIR SHA256|- [adopt] [timeout=SECONDS] [facts] [position | prior [unless=SHA256:KMODE] [log=MAXBYTES] [labels]] <PROFILE"
check_name "$1"
case $2 in
    enforce | complain | keep) ;;
    *) fail bad-mode "mode must be enforce, complain or keep" 2 ;;
esac
check_dir "$3"
case $4 in
    -) ;;
    *[!0-9a-f]*) fail bad-sha256 "SHA256 must be 64 lowercase hex digits or -" 2 ;;
    *) [ "${#4}" -eq 64 ] || fail bad-sha256 "SHA256 must be 64 lowercase hex digits or -" 2 ;;
esac
name=$1
mode=$2
dir=$3
sha=$4
shift 4
pa_adopt=false
prior=false
want_pos=false
want_facts=false
unless=
labels=false
logmax=
for o in "$@"; do
    case $o in
        adopt) pa_adopt=true ;;
        timeout=*) set_timeout "${o#timeout=}" ;;
        prior) prior=true ;;
        position) want_pos=true ;;
        unless=*)
            unless=${o#unless=}
            usha=${unless%%:*}
            ukmode=${unless#*:}
            case $usha in *[!0-9a-f]*) usha= ;; esac
            case $ukmode in '' | *[!a-z]*) usha= ;; esac
            [ "${#usha}" -eq 64 ] || fail bad-option "unless must be SHA256:KMODE (64 lowercase hex digits, a mode)" 2
            ;;
        labels) labels=true ;;
        facts) want_facts=true ;;
        log=*)
            logmax=${o#log=}
            case $logmax in '' | *[!0-9]* | 0*) logmax=x ;; esac
            if [ "$logmax" = x ] || [ "${#logmax}" -gt 8 ] || [ "$logmax" -gt 16777216 ]; then
                fail bad-option "log must be log=MAXBYTES, an integer from 1 to 16777216" 2
            fi
            ;;
        *) fail bad-option "unknown option (allowed: adopt, timeout=SECONDS, prior, unless=SHA256:KMODE, log=MAXBYTES, labels, facts, position)" 2 ;;
    esac
done
[ -z "$unless" ] || $prior || fail bad-option "unless needs prior" 2
[ -z "$logmax" ] || $prior || fail bad-option "log needs prior" 2
if $labels && ! $prior; then fail bad-option "labels needs prior" 2; fi
if $want_pos && $prior; then fail bad-option "position and prior do not go together (prior reports a position)" 2; fi
need_root
need_parser
need_apparmor
# (after the checks: a host they refuse keeps its state directory as it was)
# (installs reads them once for its items: PA_BATCH_FACTS)
if $want_facts && [ -z "${PA_BATCH_FACTS:-}" ]; then abi_facts_cached "$PA_STATE/abi-facts"; fi

# Refused before anything is written (checked again under the lock).
safe_dir "$dir"
check_target "$dir/$name"
[ -d "$dir" ] || mkdir -p "$dir" || fail io "cannot create $dir"
work_dir "$dir" "$name"
# shellcheck disable=SC2154 # pa_work: set by work_dir (lib.sh)
input=$pa_work/in
new=$pa_work/new
# Read the whole input before taking the lock: a slow sender must not block other hosts' changes.
head -c 4194305 >"$input" || fail io "cannot read the profile from stdin"
if [ "$sha" = - ]; then
    # (With a SHA256 the size is checked only when the digest differs: see apply_profile.)
    [ "$(wc -c <"$input")" -le 4194304 ] || fail too-large "the profile text is larger than 4 MiB"
fi
ignore_hangup

newmode=$mode
if [ "$mode" = keep ]; then
    new=$input
    newmode=
elif ! set_mode "$name" "$mode" "$input" "$new"; then
    # Verify the input first: a truncated text may well have lost its header.
    [ "$(wc -c <"$input")" -le 4194304 ] || fail too-large "the profile text is larger than 4 MiB"
    if [ "$sha" != - ]; then
        got=$(sha256sum <"$input")
        [ "${got%%" "*}" = "$sha" ] ||
            fail incomplete-input "stdin sha256 ${got%%" "*} differs from the expected $sha (connection cut?); nothing was changed"
    fi
    fail no-header "no line 'profile $name [flags=(...)] {' found; the text must start the profile with that header"
fi

if $prior || $want_pos; then
    # The log's end, when the profile is loaded (the new version's lines follow it) or with
    # position: taken beside the compile, without the lock's descriptor, and finished before the
    # kernel gets the new policy (before_load) or this script reports. An earlier position only adds
    # older lines, which the kernel's own record of the load separates from the new version's.
    posf=$pa_work/position
    pospid=
    pa_kmode=
    $want_pos || kernel_mode_var "$name"
    # shellcheck disable=SC2154 # pa_kmode: set by kernel_mode_var (lib.sh)
    if $want_pos && [ -n "${PA_BATCH_POS:-}" ]; then
        # taken by installs before any of its items started (so before this load)
        posf=$PA_BATCH_POS
    elif [ -n "$pa_kmode" ] || $want_pos; then
        # shellcheck disable=SC2154 # pa_lsrc, pa_lend: set by lib-log.sh
        {
            if log_source_var auto && log_end_var "$pa_lsrc"; then
                printf '%s %s\n' "$pa_lsrc" "$pa_lend"
            fi >"$posf"
        } 2>/dev/null &
        pospid=$!
    fi
    before_load() {
        if [ -n "$pospid" ]; then
            wait "$pospid" || true
            pospid=
        fi
    }
fi

log_started=false
logpid=
position=
lsrc=
# start_log_read: once, after the load (apply_profile's after_load) or else after apply_profile: the
# position taken before the load, and (unless kept) with log= the log lines since it, read in the
# background beside the file, manifest and boot-unit steps and the label read, into the work dir:
# reads only, without the lock's descriptor. The subshell cleans only its own temp files and leaves
# the lines in log-lines, printed after its header by one cat. logpid: the read's job, if one started.
start_log_read() {
    ! $log_started || return 0
    log_started=true
    before_load
    if [ -s "$posf" ]; then read -r lsrc position <"$posf" || true; fi
    if ! $kept && [ -n "$logmax" ] && [ -n "$position" ]; then
        # shellcheck disable=SC2030 # the subshell's own, emptied: it waits for no job of ours
        (
            PA_TMPS=
            PA_WORKS=
            PA_WAITS=
            pa_log_keep=yes
            trap cleanup EXIT
            read_log "$position" "$logmax" "$lsrc"
        ) >"$pa_work/log" 9>&- &
        logpid=$!
        # shellcheck disable=SC2031 # the main shell's list (the subshell emptied only its own copy)
        PA_WAITS="$PA_WAITS $logpid"
    fi
}
if $prior; then after_load() { start_log_read; }; fi

# The compile, before the lock (see precompile): concurrent installs compile side by side.
if [ "$sha" = - ]; then
    precompile "$new" "$dir/$name"
else
    precompile "$new" "$dir/$name" "$input" "$sha"
fi
take_lock
kept=false
if $prior; then
    # What the host has now, under the lock: the file and the kernel's mode. The file is held open
    # (descriptor 7, read again through /dev/fd/7): the install renames a new file over the name, the
    # open one stays what it was. Copied only where /dev/fd is missing.
    pfile=$pa_work/prior
    ppresent=false
    psha=
    if [ -f "$dir/$name" ] && [ ! -L "$dir/$name" ]; then
        exec 7<"$dir/$name" || fail io "cannot read $dir/$name"
        if [ -r /dev/fd/7 ]; then
            pfile=/dev/fd/7
        else
            cp -- "$dir/$name" "$pfile" || fail io "cannot read $dir/$name"
        fi
        ppresent=true
        if [ -n "$unless" ]; then psha=$(sha256_of "$pfile") || fail io "cannot read $dir/$name"; fi
    fi
    kernel_mode_var "$name"
    pkmode=$pa_kmode
    if [ -n "$unless" ] && $ppresent && [ "$psha:$pkmode" = "$unless" ]; then
        kept=true
        printf '{"ok":true,"name":"%s","dir":"%s","kept":true}\n' "$name" "$dir"
        # nothing will be loaded: the position is not needed
        if [ -n "$pospid" ]; then
            kill "$pospid" 2>/dev/null || true
            pospid=
        fi
    fi
fi
if ! $kept; then
    if [ "$sha" = - ]; then
        apply_profile "$name" "$dir" "$new" "$newmode"
    else
        apply_profile "$name" "$dir" "$new" "$newmode" "$input" "$sha"
    fi
fi
if $want_pos; then
    before_load
    if [ -s "$posf" ]; then read -r lsrc position <"$posf" || true; fi
    printf '{"position":"%s","source":"%s"}\n' "$position" "$lsrc"
    exit 0
fi
if $prior; then
    # apply_profile hashed the same file under the lock
    # shellcheck disable=SC2154 # oldsha256: set by apply_profile (lib-store.sh)
    if $ppresent && [ -z "$psha" ]; then psha=$oldsha256; fi
    start_log_read
    pbytes=0
    if $ppresent; then pbytes=$(wc -c <"$pfile") || fail io "cannot read $pfile"; fi
    printf '{"prior":{"present":%s,"sha256":"%s","kernelMode":"%s","bytes":%s},"position":"%s","source":"%s"}\n' \
        "$ppresent" "$psha" "$pkmode" "$pbytes" "$position" "$lsrc"
    if $ppresent; then cat -- "$pfile"; fi
fi
$kept && exit 0
if $labels || [ -n "$logmax" ]; then
    # Reads only: other changes on this host need not wait for them.
    release_lock
fi
if $labels; then
    containers_var "$name"
    # shellcheck disable=SC2154 # pa_docker, pa_containers: set by containers_var (lib-docker.sh)
    printf '{"labels":{"docker":%s,"containers":[%s]}}\n' "$pa_docker" "$pa_containers"
fi
if [ -n "$logpid" ]; then
    lrc=0
    wait "$logpid" || lrc=$?
    PA_WAITS=
    # the header (or the read's error line), then on success the lines
    if [ "$lrc" -eq 0 ]; then
        cat -- "$pa_work/log" "$pa_work/log-lines" || fail io "cannot read $pa_work/log"
    else
        cat -- "$pa_work/log" || fail io "cannot read $pa_work/log"
    fi
    exit "$lrc"
fi
