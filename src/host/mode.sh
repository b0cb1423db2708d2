# mode NAME enforce|complain DIR — switch the installed profile's mode without changing its rules:
# rewrites the flags of its `profile NAME … {` header in DIR/NAME (the file stays the single truth) and
# reloads. Same result JSON as install.

[ $# -eq 3 ] || usage "NAME enforce|complain DIR"
check_name "$1"
valid_mode "$2" || fail bad-mode "mode must be enforce or complain" 2
check_dir "$3"
need_root
need_parser
need_apparmor
ignore_hangup

name=$1
dir=$3
take_lock
[ -f "$dir/$name" ] || fail not-installed "no profile file $dir/$name; install it first"
work_dir "$dir" "$name"
# shellcheck disable=SC2154 # pa_work: set by work_dir (lib.sh)
new=$pa_work/new
set_mode "$name" "$2" "$dir/$name" "$new" ||
    fail no-header "no line 'profile $name [flags=(...)] {' in $dir/$name"
apply_profile "$name" "$dir" "$new" "$2"
