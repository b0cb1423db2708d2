# installs ITEM… — several installs in one run (one ssh exec, one sudo): the creates and updates an
# engine operation sends to one host at once. ITEM is BYTES COUNT ARG…: COUNT (4 to 16) words of
# install's own arguments (NAME MODE DIR SHA256 [OPTION…]; not prior, which a rollout's wave sends
# alone), and BYTES (0 to 4194305) bytes of stdin: the items' texts one after another, in item
# order. At most 64 items and 16 MiB of texts; stdin must hold exactly the announced bytes (else
# nothing runs).
# Every item is install.sh as it is (pa_install, prepended by src/host/index.ts) in its own
# subshell, all started at once: they compile side by side, as concurrent installs do, and take the
# host lock one after another; each item's validation, errors, output and exit status are what it
# would give alone. Read once for all, before any item starts (so before any item's load):
#   - with `position` in any item, the log's end (each such item reports it as its own);
#   - with `facts` in any item, the host's ABI facts (abi_facts_cached), when the host passes
#     install's root, apparmor_parser and AppArmor checks (otherwise each item fails on its own).
# Output: a header line {"ok":true,"installs":"v1","items":N}, then per item, in order, a frame line
# {"item":I,"exit":RC,"out":B,"err":E} followed by exactly B bytes of the item's stdout, then E bytes
# of its stderr.

USAGE="BYTES COUNT NAME enforce|complain|keep DIR SHA256|- [OPTION...] ... <TEXTS"
[ $# -ge 1 ] || usage "$USAGE"

# count_items ITEM…: checks the layout of every item before any runs (each item checks its own
# install arguments) and sets n (items), total (stdin bytes), ib_pos and ib_facts (an item asks).
count_items() {
    n=0
    total=0
    ib_pos=false
    ib_facts=false
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || usage "$USAGE"
        case $1 in '' | *[!0-9]* | 0?*) usage "BYTES: from 0 to 4194305" ;; esac
        { [ "${#1}" -le 7 ] && [ "$1" -le 4194305 ]; } || usage "BYTES: from 0 to 4194305"
        case $2 in [4-9] | 1[0-6]) ;; *) usage "COUNT: from 4 to 16" ;; esac
        [ $(($# - 2)) -ge "$2" ] || usage "fewer words than COUNT"
        total=$((total + $1))
        ci_c=$2
        shift 6
        ci_j=4
        while [ "$ci_j" -lt "$ci_c" ]; do
            case $1 in
                position) ib_pos=true ;;
                facts) ib_facts=true ;;
                prior) usage "prior: a rollout's install runs alone" ;;
            esac
            shift
            ci_j=$((ci_j + 1))
        done
        n=$((n + 1))
    done
    [ "$n" -le 64 ] || usage "at most 64 items"
    [ "$total" -le 16777216 ] || usage "at most 16 MiB of texts in all"
}
count_items "$@"

work=$(mktemp -d) || fail io "cannot create a temp directory"
trap 'cleanup; rm -rf "$work"' EXIT
head -c $((total + 1)) >"$work/in" || fail io "cannot read the profiles from stdin"
got=$(($(wc -c <"$work/in")))
[ "$got" -eq "$total" ] ||
    fail incomplete-input "stdin has $got bytes, the items announce $total (connection cut?); nothing was changed"
ignore_hangup

# Read once, before any item's load (see above).
if $ib_pos || $ib_facts; then
    if (need_root && need_parser && need_apparmor) >/dev/null 2>&1; then
        if $ib_pos; then
            # shellcheck disable=SC2154 # pa_lsrc, pa_lend: set by lib-log.sh
            {
                if log_source_var auto && log_end_var "$pa_lsrc"; then
                    printf '%s %s\n' "$pa_lsrc" "$pa_lend"
                fi >"$work/position"
            } 2>/dev/null &
            ib_pospid=$!
        fi
        if $ib_facts; then
            abi_facts_cached "$PA_STATE/abi-facts"
            # shellcheck disable=SC2034 # read by install.sh (pa_install)
            PA_BATCH_FACTS=yes
        fi
        if $ib_pos; then
            wait "$ib_pospid" || true
            # shellcheck disable=SC2034 # read by install.sh (pa_install)
            PA_BATCH_POS=$work/position
        fi
    fi
fi

# split_item FILE OFFSET BYTES OUT: BYTES bytes of FILE from OFFSET into OUT (one GNU dd; tail and
# head where dd lacks the byte flags).
split_item() {
    dd if="$1" of="$4" bs=65536 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none 2>/dev/null ||
        { tail -c +"$(($2 + 1))" "$1" 2>/dev/null | head -c "$3" >"$4"; }
}

# Every item's text into its own file, then every item started.
i=0
off=0
pids=
while [ $# -gt 0 ]; do
    split_item "$work/in" "$off" "$1" "$work/i$i" || fail io "cannot split the input"
    off=$((off + $1))
    c=$2
    shift 2
    first "$c" pa_install "$@" <"$work/i$i" >"$work/o$i" 2>"$work/e$i" &
    pids="$pids $!"
    shift "$c"
    i=$((i + 1))
done

printf '{"ok":true,"installs":"v1","items":%s}\n' "$n"
i=0
for pid in $pids; do
    rc=0
    wait "$pid" || rc=$?
    # one wc for both sizes: "N OUT", "M ERR", "N+M total" (mktemp's paths hold no space)
    sz=$(wc -c -- "$work/o$i" "$work/e$i") || fail io "cannot read item $i's output"
    # shellcheck disable=SC2086 # split on purpose
    set -- $sz
    printf '{"item":%s,"exit":%s,"out":%s,"err":%s}\n' "$i" "$rc" "$1" "$3"
    cat -- "$work/o$i" "$work/e$i"
    i=$((i + 1))
done
