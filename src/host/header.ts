/**
 * The profile header the install and mode scripts edit. They set the mode in the flags of the first
 * line of the form `[ws]profile NAME [flags=](FLAGS) {` (lib.sh `header_awk`): keyword, name, flags
 * and the opening brace on ONE line, the name unquoted, `flags=` without spaces around `=`. Policy
 * text whose header has another form (quoted name, brace or flags on the next line, an attachment)
 * compiles, but the host cannot set its mode, so it is refused at preview with the fix. Pure.
 */

/** The 1-based line of the header `install` would edit, or undefined when there is none. */
export function installHeaderLine(text: string, name: string): number | undefined {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const s = lines[i].replace(/^[ \t]+/, "");
        if (!(s.startsWith("profile ") || s.startsWith("profile\t"))) continue;
        const r = s.slice(8).replace(/^[ \t]+/, "");
        if (!r.startsWith(name)) continue;
        let rest = r.slice(name.length);
        if (!/^[ \t{]/.test(rest)) continue;
        rest = rest.replace(/^[ \t]+/, "");
        if (rest.startsWith("flags=")) rest = rest.slice(6).replace(/^[ \t]+/, "");
        if (rest.startsWith("(")) {
            const close = rest.indexOf(")");
            if (close < 0) continue;
            rest = rest.slice(close + 1).replace(/^[ \t]+/, "");
        }
        if (rest.startsWith("{")) return i + 1;
    }
    return undefined;
}

/** Why `text` has no header the host scripts can edit, with the fix; undefined when it has one. */
export function installHeaderProblem(
    text: string,
    name: string,
): { message: string; fix: string } | undefined {
    if (installHeaderLine(text, name) !== undefined) return undefined;
    return {
        message: `profile "${name}" has no \`profile ${name} … {\` header line the host can set the mode in`,
        fix: `write the header on one line, name unquoted, without an attachment: \`profile ${name} flags=(attach_disconnected,mediate_deleted) {\``,
    };
}
