# pulumi-apparmor host library, ABI part: what the host's AppArmor can enforce (abi_facts). Sent after
# lib.sh, only with compile, preflight, install and read (see ABI_SCRIPTS in src/host/index.ts).
# Functions and constants only; nothing runs by itself.

# the parser's config file (apparmor_parser(8): its default options)
PA_PARSER_CONF=/etc/apparmor/parser.conf

# feature_dir DIR: sets _fl to the feature paths of the features tree DIR (the kernel's
# $PA_SECFS/features, or a copy) as JSON strings joined by commas: the paths to depth 3 (directories and
# files), plus each word of a file's first line when it has at most 16 words
# ("namespaces/mask/userns_create", the form apparmor_parser looks features up in; yes/no left out), at
# most 400 entries; names outside [A-Za-z0-9_.-] are skipped, so every value is a plain JSON string.
# Shell builtins only.
feature_dir() {
    _fl=
    _fn=0
    _fd=$1
    for _f in "$_fd"/* "$_fd"/*/* "$_fd"/*/*/*; do
        [ "$_fn" -lt 400 ] || break
        [ -e "$_f" ] || continue
        _r=${_f#"$_fd"/}
        case $_r in
            *[!A-Za-z0-9_./-]*) continue ;;
        esac
        _fl="$_fl${_fl:+,}\"$_r\""
        _fn=$((_fn + 1))
        [ -f "$_f" ] || continue
        _w=
        { IFS= read -r _w <"$_f"; } 2>/dev/null || true
        set -f
        # shellcheck disable=SC2086 # split the file's words, globbing off
        set -- $_w
        set +f
        [ $# -le 16 ] || continue
        for _x in "$@"; do
            case $_x in
                yes | no | *[!A-Za-z0-9_.-]*) continue ;;
            esac
            [ "$_fn" -lt 400 ] || break
            _fl="$_fl,\"$_r/$_x\""
            _fn=$((_fn + 1))
        done
    done
}

# feature_file FILE: sets _fl like feature_dir, for a features file: the flattened tree the parser
# reads for --policy-features FILE (AppArmor's /usr/share/apparmor-features/features, the files of
# /etc/apparmor.d/abi): `NAME {` opens a directory, `NAME {WORDS}` is a file and its content.
feature_file() {
    # shellcheck disable=SC2016 # awk program, not shell expansion
    _fl=$(awk '
        function out(x) { if (n < 400) { printf "%s\"%s\"", (n ? "," : ""), x; n++ } }
        { s = s $0 "\n" }
        END {
            d = 0; bad = 0
            while (s != "") {
                sub(/^[ \t\n]+/, "", s)
                if (s == "") break
                if (substr(s, 1, 1) == "}") { s = substr(s, 2); if (d > 0) d--; continue }
                if (!match(s, /^[^ \t\n{}]+[ \t]*[{]/)) break
                name = substr(s, 1, RLENGTH); sub(/[ \t]*[{]$/, "", name)
                s = substr(s, RLENGTH + 1)
                st[++d] = name
                p = st[1]; ok = (st[1] ~ /^[A-Za-z0-9_.-]+$/)
                for (i = 2; i <= d; i++) { p = p "/" st[i]; if (st[i] !~ /^[A-Za-z0-9_.-]+$/) ok = 0 }
                if (ok && d <= 3) out(p)
                o = index(s, "{"); c = index(s, "}")
                if (c == 0 || (o > 0 && o < c)) continue
                body = substr(s, 1, c - 1); s = substr(s, c + 1); d--
                k = split(body, w, /[ \t\n]+/); m = 0
                for (i = 1; i <= k; i++) if (w[i] != "") m++
                if (!ok || d >= 3 || m > 16) continue
                for (i = 1; i <= k; i++)
                    if (w[i] ~ /^[A-Za-z0-9_.-]+$/ && w[i] != "yes" && w[i] != "no") out(p "/" w[i])
            }
        }' "$1" 2>/dev/null) || _fl=
}

# pin_member KEY PATH: appends to _pc the JSON member "KEY":{"path":PATH,"features":[…]} for the
# feature set at PATH (a features directory or file); nothing when PATH is not a plain absolute path or
# cannot be read.
pin_member() {
    case $2 in
        /*) ;;
        *) return 0 ;;
    esac
    case $2 in
        *[!A-Za-z0-9_./~+-]* | *..*) return 0 ;;
    esac
    if [ -d "$2" ]; then
        feature_dir "$2"
    elif [ -f "$2" ] && [ -r "$2" ]; then
        feature_file "$2"
    else
        return 0
    fi
    _pc="$_pc${_pc:+,}\"$1\":{\"path\":\"$2\",\"features\":[$_fl]}"
}

# parser_pins: sets _pc to the feature sets $PA_PARSER_CONF pins, as JSON members ("" when none):
# "policy" (policy-features, or features-file: what a profile without an `abi` rule is compiled
# against), "kernel" (kernel-features, or features-file: what the parser takes for the kernel's) and
# "override" (override-policy-abi: what every profile is compiled against, `abi` rules or not). The
# last line setting an option wins, as in the parser; `match-string` is not reported.
parser_pins() {
    _pc=
    parser_conf_pins
    [ -z "$_pp" ] || pin_member policy "$_pp"
    [ -z "$_pk" ] || pin_member kernel "$_pk"
    [ -z "$_po" ] || pin_member override "$_po"
}

# parser_conf_pins: sets _pp, _pk and _po to the paths $PA_PARSER_CONF pins for policy, kernel and
# override features ("" when none; see parser_pins). Builtins only.
parser_conf_pins() {
    _pp=
    _pk=
    _po=
    [ -f "$PA_PARSER_CONF" ] && [ -r "$PA_PARSER_CONF" ] || return 0
    while IFS= read -r _l || [ -n "$_l" ]; do
        _l=${_l#"${_l%%[! 	]*}"}
        _n=${_l%%[= 	]*}
        _v=${_l#"$_n"}
        _v=${_v#"${_v%%[!= 	]*}"}
        _v=${_v%"${_v##*[! 	]}"}
        case $_n in
            policy-features) _pp=$_v ;;
            kernel-features) _pk=$_v ;;
            override-policy-abi) _po=$_v ;;
            features-file)
                _pp=$_v
                _pk=$_v
                ;;
        esac
    done <"$PA_PARSER_CONF"
}

# abi_facts: sets PA_PARSER_VERSION (the last word of `apparmor_parser --version`'s first line, ""
# when there is no parser) and PA_HOST_ABI to the JSON member
#   "hostAbi":{"parserVersion":"3.0.8"|null,"kernel":"6.1.0-…","abi":["3.0",…],"features":[…]
#              [,"parserConf":{"policy"|"kernel"|"override":{"path":…,"features":[…]}}]}
# abi: the files in /etc/apparmor.d/abi (what `abi <abi/X>,` may name). features: $PA_SECFS/features
# (feature_dir). parserConf: the feature sets $PA_PARSER_CONF pins (parser_pins), only when it pins
# one. Costs one `apparmor_parser --version`, plus one awk per pinned features file; the rest is shell
# builtins.
abi_facts() {
    _pv=null
    PA_PARSER_VERSION=
    if command -v apparmor_parser >/dev/null 2>&1; then
        _v=$(apparmor_parser --version 2>/dev/null </dev/null) || _v=
        _v=${_v%%"
"*}
        _v=${_v##* }
        case $_v in
            '' | *[!0-9A-Za-z.~+-]*) ;;
            *)
                _pv="\"$_v\""
                # shellcheck disable=SC2034 # read by compile and preflight
                PA_PARSER_VERSION=$_v
                ;;
        esac
    fi
    _k=
    { IFS= read -r _k </proc/sys/kernel/osrelease; } 2>/dev/null || true
    case $_k in
        *[!0-9A-Za-z._+~-]*) _k= ;;
    esac
    _abi=
    for _f in /etc/apparmor.d/abi/*; do
        [ -f "$_f" ] || continue
        _n=${_f##*/}
        case $_n in
            '' | *[!A-Za-z0-9_.-]*) continue ;;
        esac
        _abi="$_abi${_abi:+,}\"$_n\""
    done
    feature_dir "$PA_SECFS/features"
    _ft=$_fl
    parser_pins
    [ -z "$_pc" ] || _pc=",\"parserConf\":{$_pc}"
    # shellcheck disable=SC2034 # read by the scripts that report it (compile, preflight, install, read)
    PA_HOST_ABI="\"hostAbi\":{\"parserVersion\":$_pv,\"kernel\":\"$_k\",\"abi\":[$_abi],\"features\":[$_ft]$_pc}"
}

# abi_facts_cached FILE: abi_facts, kept in FILE and taken from it while nothing it reads changed, so
# that the installs and reads of a rollout do not each start the parser and walk the feature trees
# (~0.3 s a run on a slow host). Only as root, only when FILE's directory exists and is root's; FILE
# is used only when it is root's regular file. FILE holds three lines: the fingerprint, then
# PA_PARSER_VERSION and PA_HOST_ABI. The fingerprint is the boot (boot_id: the kernel, its release and
# its feature tree are fixed for a boot), $PA_SECFS, and one `stat` (inode, size, modification and
# status-change times) of every apparmor_parser on PATH, $PA_PARSER_CONF, the feature files it pins,
# /etc/apparmor.d/abi (its entries: only their names are reported) and $PA_SECFS/features (gone
# when securityfs is unmounted). A pinned directory is walked every time (no cache). Otherwise the
# same as abi_facts.
abi_facts_cached() {
    _cf=$1
    _boot=
    { IFS= read -r _boot </proc/sys/kernel/random/boot_id; } 2>/dev/null || true
    if [ -z "$_boot" ] || ! is_root || [ ! -d "${_cf%/*}" ] || [ -L "${_cf%/*}" ] || [ ! -O "${_cf%/*}" ]; then
        abi_facts
        return
    fi
    parser_conf_pins
    for _x in "$_pp" "$_pk" "$_po"; do
        if [ -n "$_x" ] && [ -d "$_x" ]; then
            abi_facts
            return
        fi
    done
    _fp=$(stat -L --printf '%n:%i:%s:%.9Y:%.9Z ' /usr/local/sbin/apparmor_parser /usr/local/bin/apparmor_parser \
        /usr/sbin/apparmor_parser /usr/bin/apparmor_parser /sbin/apparmor_parser /bin/apparmor_parser \
        "$PA_PARSER_CONF" /etc/apparmor.d/abi "$PA_SECFS/features" ${_pp:+"$_pp"} ${_pk:+"$_pk"} ${_po:+"$_po"} 2>/dev/null)
    # (no parser found, or a stat without --printf: nothing to tell a change by)
    case $_fp in
        *apparmor_parser:*) ;;
        *)
            abi_facts
            return
            ;;
    esac
    _fp="v1 $_boot $PA_SECFS $_fp"
    if [ -f "$_cf" ] && [ ! -L "$_cf" ] && [ -O "$_cf" ]; then
        _l1=
        _l2=
        _l3=
        {
            IFS= read -r _l1 && IFS= read -r _l2 && IFS= read -r _l3
        } <"$_cf" 2>/dev/null || true
        case $_l3 in
            '"hostAbi":{'*'}')
                if [ "$_l1" = "$_fp" ]; then
                    # shellcheck disable=SC2034 # read by compile and preflight
                    PA_PARSER_VERSION=$_l2
                    PA_HOST_ABI=$_l3
                    return 0
                fi
                ;;
        esac
    fi
    abi_facts
    _ct=$_cf.$$
    track_tmp "$_ct"
    if (
        umask 077
        set -C
        printf '%s\n%s\n%s\n' "$_fp" "$PA_PARSER_VERSION" "$PA_HOST_ABI" >"$_ct"
    ) 2>/dev/null; then
        mv -f "$_ct" "$_cf" 2>/dev/null || rm -f "$_ct"
    else
        rm -f "$_ct" 2>/dev/null
    fi
}
