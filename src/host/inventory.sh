# inventory DIR [timeout=SECONDS] — what `pulumi-apparmor status` and `import` need to know about a host,
# read in one run. Reads only: nothing is written (but this run's temp directory), loaded or locked.
# Line 1, one JSON object:
#   {"ok":true,"apparmor":{"enabled","securityfs","parser"},"dir":DIR,"docker":BOOL,"skipped":N,
#    "loaded":   [{"name","mode"}]    every line of securityfs's profiles file (child profiles too)
#    "policies": [{"name","sha1"}]    raw_sha1 of each loaded policy, found by its `name` file (on a
#                kernel without raw_sha1, the sha1 of its raw_data where a file or manifest of its
#                name exists, else "")
#    "manifests":[{"name","dir","sha256","mode","policySha1","adopted"}]  what this library installed
#    "files":    [{"name","bytes","sha256","fileSha1","compileError"}]    regular files directly in DIR
#                (hidden files are ours or editors': left out). fileSha1: sha1 of
#                `apparmor_parser -Q -K -S FILE`, computed only when a profile of the file's name is
#                loaded (or the manifest's, when file and loaded policy are what install verified);
#                "" otherwise. bytes: -1 for a file larger than 1 MiB (its text is not sent)
#    "labels":   [{"label","processes"}]  processes per kernel label (/proc/PID/attr/current)
#    "containers":[{"id","name","option","label"}]  running containers: docker's AppArmorProfile
#                option and the kernel's label of the init process; docker: the list is complete}
# Then the exact bytes of each file with "bytes" >= 0, in "files" order, one after the other.
# Every name is host text (a file name, a loaded profile's name): JSON-escaped here, checked and
# escaped again by the reader (src/host/inventory.ts). A name holding a tab or a newline is not
# listed; "skipped" counts them.
# timeout=N: seconds each compile may take (default 120); one that takes longer is a compileError.

# shellcheck disable=SC2154 # m_*, a_*, pa_kmode, pa_lsha1: set by lib.sh / lib-store.sh functions
[ $# -ge 1 ] || usage "DIR [timeout=SECONDS]"
check_dir "$1"
dir=$1
shift
timeout_options "$@"
need_root

enabled=false
apparmor_enabled && enabled=true
secfs=false
[ -d "$PA_SECFS/policy" ] && secfs=true
parser=false
command -v apparmor_parser >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1 && parser=true

work=$(mktemp -d) || fail io "cannot create a temp directory"
trap 'cleanup; rm -rf "$work"' EXIT
rec=$work/rec
tab=$(printf '\t')
nl='
'
skipped=0
# P records of blobs hashed here (a kernel without raw_sha1), one per line, each line after a newline.
psha=$nl

# Records, one per line, fields separated by tabs: L name mode | P name sha1 | M name dir sha256 mode
# policySha1 adopted | F name bytes sha256 fileSha1 compileError | C label count | D id name option label
: >"$rec"
if $secfs; then
    if [ -r "$PA_SECFS/profiles" ]; then
        while IFS= read -r ln; do
            case $ln in
                *"$tab"*) skipped=$((skipped + 1)) ;;
                *" ("*")")
                    lm=${ln##* (}
                    printf 'L\t%s\t%s\n' "${ln% (*}" "${lm%)}"
                    ;;
            esac
        done <"$PA_SECFS/profiles" >>"$rec"
    fi
    : >"$work/blobs"
    for d in "$PA_SECFS"/policy/profiles/*/; do
        [ -r "${d}name" ] || continue
        pn=
        ps=
        IFS= read -r pn <"${d}name" || true
        case $pn in *"$tab"*) continue ;; esac
        if [ -r "${d}raw_sha1" ]; then
            IFS= read -r ps <"${d}raw_sha1" || true
        elif [ -r "${d}raw_data" ] && { [ -f "$dir/$pn" ] || [ -f "$PA_MANIFESTS/$pn" ]; }; then
            # A kernel that hashes policy with sha256 only (Debian 13's 6.12: raw_sha256, no
            # raw_sha1): the sha1 of the loaded blob, the value raw_sha1 holds elsewhere, for the
            # profiles that have a file or a manifest to compare with (one sha1sum for all, below).
            printf '%s\n' "${d}raw_data" >>"$work/blobs"
            continue
        fi
        printf 'P\t%s\t%s\n' "$pn" "$ps"
    done >>"$rec"
    if [ -s "$work/blobs" ]; then
        set --
        while IFS= read -r b; do set -- "$@" "$b"; done <"$work/blobs"
        # Each line names the blob it hashed (securityfs directory names hold no blank or newline),
        # so a blob that went away meanwhile leaves out its own line only.
        sha1sum -- "$@" 2>/dev/null | while read -r ps b; do
            pn=
            IFS= read -r pn <"${b%raw_data}name" 2>/dev/null || true
            [ -n "$pn" ] && printf 'P\t%s\t%s\n' "$pn" "$ps"
        done >"$work/psha"
        # Kept as one string too: the file loop below takes these sums instead of hashing each
        # blob again (a process per file).
        while IFS= read -r ln; do
            printf '%s\n' "$ln"
            psha="$psha$ln$nl"
        done <"$work/psha" >>"$rec"
    fi
fi

for m in "$PA_MANIFESTS"/*; do
    [ -f "$m" ] || continue
    n=${m##*/}
    valid_name "$n" || continue
    read_manifest "$n"
    read_adopted "$n"
    ad=false
    if [ "$a_file" = yes ] || [ "$a_policy" = yes ]; then ad=true; fi
    printf 'M\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$m_dir" "$m_sha256" "$m_mode" "$m_policySha1" "$ad"
done >>"$rec"

texts=
i=0
for f in "$dir"/*; do
    if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
    n=${f##*/}
    case $n in
        *"$tab"* | *"$nl"*)
            skipped=$((skipped + 1))
            continue
            ;;
    esac
    i=$((i + 1))
    c=$work/c$i
    size=$(wc -c <"$f") || continue
    size=$((size + 0))
    if [ "$size" -gt 1048576 ]; then
        bytes=-1
        fsha=$(sha256_of "$f") || continue
    else
        cat -- "$f" >"$c" || continue
        bytes=$(wc -c <"$c") || continue
        bytes=$((bytes + 0))
        fsha=$(sha256_of "$c") || continue
        texts="$texts $c"
    fi
    fsha1=
    cerr=
    kmode=
    if $secfs; then
        kernel_mode_var "$n"
        kmode=$pa_kmode
    fi
    if [ -n "$kmode" ] && $parser; then
        case $psha in
            *"${nl}P$tab$n$tab"*)
                pa_lsha1=${psha#*"${nl}P$tab$n$tab"}
                pa_lsha1=${pa_lsha1%%"$nl"*}
                ;;
            *) loaded_sha1_var "$n" ;;
        esac
        read_manifest "$n"
        if [ -n "$pa_lsha1" ] && [ "$m_dir" = "$dir" ] && [ "$m_sha256" = "$fsha" ] &&
            [ "$m_policySha1" = "$pa_lsha1" ]; then
            # What install compiled and verified, still loaded: no need to compile again.
            fsha1=$pa_lsha1
        else
            crc=0
            fsha1=$(compile_sha1 "$f" "$work/bin" "$work/err") || crc=$?
            if [ "$crc" -ne 0 ]; then
                fsha1=
                if timed_out "$crc"; then
                    cerr="compile (apparmor_parser -Q) did not finish within $PA_TIMEOUT s and was stopped"
                else
                    cerr=$(parser_message "$work/err" "$f" | tr '\t\n' ' \037')
                fi
            fi
        fi
    fi
    printf 'F\t%s\t%s\t%s\t%s\t%s\n' "$n" "$bytes" "$fsha" "$fsha1" "$cerr" >>"$rec"
done

# shellcheck disable=SC2016 # awk program
cat /proc/[0-9]*/attr/current 2>/dev/null |
    awk -v t="$tab" '$0 != "" && index($0, t) == 0 { c[$0]++ } END { for (l in c) print "C" t l t c[l] }' >>"$rec"

docker=false
if ! command -v docker >/dev/null 2>&1; then
    :
elif ! any_shim; then
    # Docker runs every container under a containerd shim: none runs, the slow CLI is not asked.
    docker=true
elif ids=$(docker ps -q --no-trunc 2>/dev/null); then
    docker=true
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086 # container ids: hex words from docker itself
        docker inspect -f '{{.Id}} {{.State.Pid}} {{.Name}} {{.AppArmorProfile}}' $ids 2>/dev/null |
            while read -r id pid cname opt; do
                case $id$pid in '' | *[!0-9a-f]*) continue ;; esac
                label=unconfined
                if [ "$pid" != 0 ] && [ -r "/proc/$pid/attr/current" ]; then
                    IFS= read -r label <"/proc/$pid/attr/current" || true
                fi
                case $opt$label in *"$tab"*) continue ;; esac
                printf 'D\t%s\t%s\t%s\t%s\n' "$id" "${cname#/}" "$opt" "$label"
            done >>"$rec"
    fi
fi

# shellcheck disable=SC2016 # awk program
awk -F "$tab" -v dir="$dir" -v en="$enabled" -v sf="$secfs" -v pa="$parser" -v dk="$docker" \
    -v sk="$skipped" '
BEGIN { for (i = 1; i < 128; i++) ord[sprintf("%c", i)] = i }
function js(s,    out, ch) {
    out = ""
    while (match(s, /[\001-\037"\\\177]/)) {
        ch = substr(s, RSTART, 1)
        if (ch == "\"") ch = "\\\""
        else if (ch == "\\") ch = "\\\\"
        else if (ch == "\037") ch = "\\n"
        else ch = sprintf("\\u%04x", ord[ch])
        out = out substr(s, 1, RSTART - 1) ch
        s = substr(s, RSTART + 1)
    }
    return "\"" out s "\""
}
function add(k, v) { a[k] = a[k] (a[k] == "" ? "" : ",") v }
$1 == "L" { add("loaded", "{\"name\":" js($2) ",\"mode\":" js($3) "}") }
$1 == "P" { add("policies", "{\"name\":" js($2) ",\"sha1\":" js($3) "}") }
$1 == "M" {
    add("manifests", "{\"name\":" js($2) ",\"dir\":" js($3) ",\"sha256\":" js($4) ",\"mode\":" js($5) \
        ",\"policySha1\":" js($6) ",\"adopted\":" ($7 == "true" ? "true" : "false") "}")
}
$1 == "F" {
    add("files", "{\"name\":" js($2) ",\"bytes\":" ($3 + 0) ",\"sha256\":" js($4) ",\"fileSha1\":" js($5) \
        ",\"compileError\":" js($6) "}")
}
$1 == "C" { add("labels", "{\"label\":" js($2) ",\"processes\":" ($3 + 0) "}") }
$1 == "D" {
    add("containers", "{\"id\":" js($2) ",\"name\":" js($3) ",\"option\":" js($4) ",\"label\":" js($5) "}")
}
END {
    printf "{\"ok\":true,\"apparmor\":{\"enabled\":%s,\"securityfs\":%s,\"parser\":%s},\"dir\":%s,", en, sf, pa, js(dir)
    printf "\"docker\":%s,\"skipped\":%d,\"loaded\":[%s],\"policies\":[%s],\"manifests\":[%s],", dk, sk, a["loaded"], a["policies"], a["manifests"]
    printf "\"files\":[%s],\"labels\":[%s],\"containers\":[%s]}\n", a["files"], a["labels"], a["containers"]
}' "$rec"
if [ -n "$texts" ]; then
    # shellcheck disable=SC2086 # our own temp paths (mktemp -d + cN)
    cat -- $texts
fi
