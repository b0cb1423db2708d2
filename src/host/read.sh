# read PART… — a refresh's whole read of one host in one run (one sudo): the `status`, `denials` and
# `labels` scripts, each as a part run in its own subshell (pa_status / pa_denials / pa_labels:
# status.sh, denials.sh and labels.sh as they are, prepended by src/host/index.ts), so each part's
# validation, errors and exit status are its own and one part's failure does not hide the others'
# results.
#   status DIR COUNT NAME…           status DIR NAME… (COUNT names follow, COUNT from 0 to 500; 0:
#                                    every managed profile, as status DIR without names)
#   denials CURSOR MAXBYTES SOURCE UNTIL
#                                    denials CURSOR MAXBYTES SOURCE [UNTIL] (UNTIL "-": none; "=":
#                                    where this run's first journal read of the same SOURCE ended,
#                                    none before one has, so that every part of a refresh's read
#                                    leaves its profile at one position and the next refresh reads
#                                    the log once)
#   labels COUNT ID…                 labels ID… (COUNT container IDs follow, COUNT from 1 to 500)
#   facts                            the host's AppArmor ABI: {"ok":true,"hostAbi":{…}} (abi_facts in
#                                    lib-abi.sh, kept between runs by abi_facts_cached: one `stat`
#                                    while nothing it reads changed)
# Output: a header line {"ok":true,"read":"v1","parts":N}, then per part, in order, a frame line
# {"part":I,"exit":RC,"lines":L} followed by exactly L lines: what that part printed (a last line
# without a newline gets one). The lengths make the framing unambiguous whatever the log lines hold.
# Parts' stderr is this script's stderr.

USAGE="status DIR COUNT NAME... | denials CURSOR MAXBYTES SOURCE UNTIL | labels COUNT ID... | facts ..."
[ $# -ge 1 ] || usage "$USAGE"

# check_count LAYOUT MIN COUNT LEFT: COUNT is a number from MIN (0 or 1) to 500, and the LEFT words
# after it hold as many.
check_count() {
    case $3 in '' | *[!0-9]* | 0?*) usage "$1: COUNT from $2 to 500" ;; esac
    { [ "${#3}" -le 3 ] && [ "$3" -le 500 ] && [ "$3" -ge "$2" ]; } || usage "$1: COUNT from $2 to 500"
    [ "$4" -ge "$3" ] || usage "$1: fewer words than COUNT"
}

# count_parts PART…: checks the layout of every part before any runs (each part checks its own
# arguments) and sets n to their number.
count_parts() {
    n=0
    while [ $# -gt 0 ]; do
        case $1 in
            status)
                [ $# -ge 3 ] || usage "$USAGE"
                check_count "status DIR COUNT NAME..." 0 "$3" $(($# - 3))
                shift $(($3 + 3))
                ;;
            labels)
                [ $# -ge 3 ] || usage "$USAGE"
                check_count "labels COUNT ID..." 1 "$2" $(($# - 2))
                shift $(($2 + 2))
                ;;
            denials)
                [ $# -ge 5 ] || usage "$USAGE"
                shift 5
                ;;
            facts) shift ;;
            *) usage "$USAGE" ;;
        esac
        n=$((n + 1))
    done
}
count_parts "$@"
need_root

work=$(mktemp -d) || fail io "cannot create a temp directory"
trap 'cleanup; rm -rf "$work"' EXIT

# status_in NAME…: status of NAMEs in $rd_dir.
status_in() {
    pa_status "$rd_dir" "$@"
}

# frame I RC FILE: the frame line, then FILE's lines (each with its newline).
frame() {
    printf '{"part":%s,"exit":%s,"lines":%s}\n' "$1" "$2" "$(awk 'END { print NR }' "$3")"
    awk 1 "$3"
}

# where this run's first journal read ended (UNTIL "=") and the SOURCE it was asked for
rd_end=
rd_end_src=

printf '{"ok":true,"read":"v1","parts":%s}\n' "$n"
i=0
while [ $# -gt 0 ]; do
    rc=0
    case $1 in
        status)
            rd_dir=$2
            c=$3
            shift 3
            first "$c" status_in "$@" </dev/null >"$work/out" || rc=$?
            shift "$c"
            ;;
        labels)
            c=$2
            shift 2
            first "$c" pa_labels "$@" </dev/null >"$work/out" || rc=$?
            shift "$c"
            ;;
        denials)
            rd_until=$5
            if [ "$rd_until" = = ]; then
                rd_until=-
                [ -z "$rd_end" ] || [ "$rd_end_src" != "$4" ] || rd_until=$rd_end
            fi
            if [ "$rd_until" = - ]; then
                pa_denials "$2" "$3" "$4" </dev/null >"$work/out" || rc=$?
            else
                pa_denials "$2" "$3" "$4" "$rd_until" </dev/null >"$work/out" || rc=$?
            fi
            if [ -z "$rd_end" ] && [ "$rc" -eq 0 ]; then
                # the header's cursor (read_log keeps only [A-Za-z0-9=;_-] of a journal cursor)
                IFS= read -r rd_h <"$work/out" || rd_h=
                case $rd_h in
                    '{"ok":true,'*'"cursor":"journal:'?*)
                        rd_end=${rd_h#*'"cursor":"'}
                        rd_end=${rd_end%%'"'*}
                        rd_end_src=$4
                        ;;
                esac
            fi
            shift 5
            ;;
        facts)
            (abi_facts_cached "$PA_STATE/abi-facts" && printf '{"ok":true,%s}\n' "$PA_HOST_ABI") </dev/null >"$work/out" || rc=$?
            shift
            ;;
    esac
    frame "$i" "$rc" "$work/out"
    i=$((i + 1))
done
