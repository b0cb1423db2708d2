# read PART… — a refresh's whole read of one host in one run (one sudo): the `status` and `denials`
# scripts, each as a part run in its own subshell (pa_status / pa_denials: status.sh and denials.sh as
# they are, prepended by src/host/index.ts), so each part's validation, errors and exit status are its
# own and one part's failure does not hide the others' results.
#   status DIR COUNT NAME…           status DIR NAME… (COUNT names follow, COUNT from 0 to 500; 0:
#                                    every managed profile, as status DIR without names)
#   denials CURSOR MAXBYTES SOURCE UNTIL
#                                    denials CURSOR MAXBYTES SOURCE [UNTIL] (UNTIL "-": none)
# Output: a header line {"ok":true,"read":"v1","parts":N}, then per part, in order, a frame line
# {"part":I,"exit":RC,"lines":L} followed by exactly L lines: what that part printed (a last line
# without a newline gets one). The lengths make the framing unambiguous whatever the log lines hold.
# Parts' stderr is this script's stderr.

USAGE="status DIR COUNT NAME... | denials CURSOR MAXBYTES SOURCE UNTIL ..."
[ $# -ge 1 ] || usage "$USAGE"

# count_parts PART…: checks the layout of every part before any runs (each part checks its own
# arguments) and sets n to their number.
count_parts() {
    n=0
    while [ $# -gt 0 ]; do
        case $1 in
            status)
                [ $# -ge 3 ] || usage "$USAGE"
                case $3 in '' | *[!0-9]* | 0?*) usage "status DIR COUNT NAME...: COUNT from 0 to 500" ;; esac
                { [ "${#3}" -le 3 ] && [ "$3" -le 500 ]; } || usage "status DIR COUNT NAME...: COUNT from 0 to 500"
                [ $# -ge $(($3 + 3)) ] || usage "status DIR COUNT NAME...: fewer names than COUNT"
                shift $(($3 + 3))
                ;;
            denials)
                [ $# -ge 5 ] || usage "$USAGE"
                shift 5
                ;;
            *) usage "$USAGE" ;;
        esac
        n=$((n + 1))
    done
}
count_parts "$@"
need_root

work=$(mktemp -d) || fail io "cannot create a temp directory"
trap 'cleanup; rm -rf "$work"' EXIT

# status_part DIR COUNT NAME… REST…: status DIR and the first COUNT names (REST dropped).
status_part() {
    d=$1
    c=$2
    shift 2
    k=$#
    j=0
    while [ "$j" -lt "$k" ]; do
        [ "$j" -lt "$c" ] && set -- "$@" "$1"
        shift
        j=$((j + 1))
    done
    pa_status "$d" "$@"
}

# frame I RC FILE: the frame line, then FILE's lines (each with its newline).
frame() {
    printf '{"part":%s,"exit":%s,"lines":%s}\n' "$1" "$2" "$(awk 'END { print NR }' "$3")"
    awk 1 "$3"
}

printf '{"ok":true,"read":"v1","parts":%s}\n' "$n"
i=0
while [ $# -gt 0 ]; do
    rc=0
    case $1 in
        status)
            c=$3
            shift
            status_part "$@" </dev/null >"$work/out" || rc=$?
            shift $((c + 2))
            ;;
        denials)
            if [ "$5" = - ]; then
                pa_denials "$2" "$3" "$4" </dev/null >"$work/out" || rc=$?
            else
                pa_denials "$2" "$3" "$4" "$5" </dev/null >"$work/out" || rc=$?
            fi
            shift 5
            ;;
    esac
    frame "$i" "$rc" "$work/out"
    i=$((i + 1))
done
