# The program sent for a host script too long to send as is (see hostScriptProgram in index.ts):
# hostScriptProgram fills in the six values below (constants of the library; nothing a user gives
# reaches them) and sends the rest as is, without comments and indentation (minify.ts).
#   pa_name: the script's name; pa_base: its copy's file name (NAME-HASH.sh); pa_sum: sha256 of the
#   copy's text; pa_bytes: the copy's size; pa_packed: the text, gzip-compressed and base64-encoded;
#   pa_keep: copies kept per script.
# The host's own copy, $pa_c/NAME-HASH.sh, is sourced when trusted (see hostScriptProgram); otherwise
# the text is unpacked and run in this shell (eval), and stored as the copy first, as root, where
# the library already keeps profiles.
pa_name=@NAME@
pa_base=@BASE@
pa_sum=@SHA256@
pa_bytes=@BYTES@
pa_packed=@PACKED@
pa_keep=@KEEP@
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
pa_state=/var/lib/pulumi-apparmor
pa_c=$pa_state/scripts
pa_f=$pa_c/$pa_base
# the host's copy, when trusted: one find checks what test cannot (links, size, modes, owners)
if [ -f "$pa_f" ] && [ ! -L "$pa_f" ] && [ -O "$pa_f" ] && [ -O "$pa_c" ] &&
    [ -z "$(find "$pa_state" "$pa_c" "$pa_f" -prune \( -type l -o ! -user 0 -o -perm -020 -o -perm -002 -o \( -type f \( ! -size "${pa_bytes}c" -o -links +1 \) \) \) -print 2>&1)" ]; then
    # shellcheck disable=SC1090 # the copy checked above
    . "$pa_f"
    exit
fi
if ! pa_s=$(printf %s "$pa_packed" | base64 -d | gzip -dc) || [ -z "$pa_s" ]; then
    printf '%s\n' '{"ok":false,"error":"unpack","message":"cannot unpack the script: the host needs base64 (coreutils) and gzip"}'
    echo 'pulumi-apparmor: cannot unpack the script: the host needs base64 and gzip' >&2
    exit 1
fi
# store the copy (as root: / is owned by the shell's user), only where the library already keeps
# profiles (an install succeeded here before): a host where nothing was ever installed stays
# unchanged, e.g. when the preflight refuses it
if [ -O / ] && [ -d "$pa_state/profiles" ]; then
    { [ -d "$pa_c" ] || mkdir -m 700 "$pa_c"; } 2>/dev/null
    if [ -d "$pa_c" ] && [ ! -L "$pa_c" ] && [ -O "$pa_c" ]; then
        pa_t=$pa_c/.$pa_base.$$
        if (
            umask 077
            set -C
            printf '%s\n' "$pa_s" >"$pa_t"
        ) 2>/dev/null && [ "$(sha256sum <"$pa_t" 2>/dev/null)" = "$pa_sum  -" ] && mv -f "$pa_t" "$pa_f" 2>/dev/null; then
            # prune: the oldest copies beyond the few kept, and temp files of runs killed before their mv
            while :; do
                pa_n=0
                pa_o=
                for pa_x in "$pa_c/$pa_name"-*.sh; do
                    [ -f "$pa_x" ] || continue
                    pa_n=$((pa_n + 1))
                    # shellcheck disable=SC3013 # -nt: in dash, bash and busybox sh alike
                    if [ -z "$pa_o" ] || [ "$pa_o" -nt "$pa_x" ]; then pa_o=$pa_x; fi
                done
                if [ "$pa_n" -gt "$pa_keep" ] && [ "$pa_o" != "$pa_f" ]; then
                    rm -f "$pa_o" 2>/dev/null || break
                else
                    break
                fi
            done
            for pa_x in "$pa_c/.$pa_name"-*; do [ ! -f "$pa_x" ] || rm -f "$pa_x" 2>/dev/null; done
        fi
        [ ! -e "$pa_t" ] || rm -f "$pa_t" 2>/dev/null
    fi
fi
eval "$pa_s"
