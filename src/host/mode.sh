# mode NAME enforce|complain DIR [timeout=SECONDS] — switch the installed profile's mode without changing
# its rules: rewrites the flags of its `profile NAME … {` header in DIR/NAME (the file stays the single
# truth) and reloads. Only a profile this library installed in DIR (a manifest records it) is touched.
# Same result JSON as install.

# shellcheck disable=SC2154 # m_text, m_dir, pa_work: set by read_manifest, work_dir (lib.sh)
[ $# -ge 3 ] || usage "NAME enforce|complain DIR [timeout=SECONDS]"
check_name "$1"
valid_mode "$2" || fail bad-mode "mode must be enforce or complain" 2
check_dir "$3"
name=$1
newmode=$2
dir=$3
shift 3
timeout_options "$@"
need_root
need_parser
need_apparmor
ignore_hangup

safe_dir "$dir"
take_lock
read_manifest "$name"
if [ -z "$m_text" ] || [ "$m_dir" != "$dir" ]; then
    fail not-installed "no profile $name installed by pulumi-apparmor in $dir; install it first"
fi
check_target "$dir/$name"
[ -f "$dir/$name" ] || fail not-installed "no profile file $dir/$name; install it first"
work_dir "$dir" "$name"
new=$pa_work/new
set_mode "$name" "$newmode" "$dir/$name" "$new" ||
    fail no-header "no line 'profile $name [flags=(...)] {' in $dir/$name"
apply_profile "$name" "$dir" "$new" "$newmode"
