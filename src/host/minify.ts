/**
 * The host scripts as sent: comment lines, blank lines and indentation removed where the shell would
 * ignore them, so that every command fits in one SSH packet of the size every server must accept
 * (RFC 4253 §6.1: 35000 bytes; OpenSSH takes more, dropbear and ssh2 servers do not) and stays far below
 * Linux's 128 KiB limit on one `sh -c` argument. Pure.
 *
 * A small POSIX-shell lexer decides what "ignored" means: nothing inside single- or double-quoted text
 * (awk programs, the boot unit and loader texts keep every byte) or inside a here-document is touched;
 * outside them, a line whose first word starts with `#` is a comment, an empty line is dropped, and
 * leading blanks go.
 */

/** Lexer state carried from one line to the next. */
interface State {
    quote: "" | "'" | '"';
    /** The delimiter of a here-document being read, or "". */
    heredoc: string;
}

/** Advances `st` over one line (outside a here-document); returns a here-document delimiter met. */
function scan(line: string, st: State): string {
    let pending = "";
    let wordStart = true;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (st.quote === "'") {
            if (c === "'") st.quote = "";
            continue;
        }
        if (st.quote === '"') {
            if (c === "\\") i++;
            else if (c === '"') st.quote = "";
            continue;
        }
        if (c === "\\") {
            i++;
            wordStart = false;
            continue;
        }
        if (c === "'" || c === '"') {
            st.quote = c;
            wordStart = false;
            continue;
        }
        if (c === "#" && wordStart) break; // a comment runs to the end of the line
        if (c === "<" && line[i + 1] === "<" && line[i + 2] !== "<") {
            const m = /^<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(line.slice(i));
            if (m) {
                pending = m[2];
                i += m[0].length - 1;
                wordStart = false;
                continue;
            }
        }
        wordStart = c === " " || c === "\t" || c === ";" || c === "&" || c === "|" || c === "(";
    }
    return pending;
}

/** `text` without the comment lines, blank lines and indentation the shell ignores. */
export function minifyShell(text: string): string {
    const st: State = { quote: "", heredoc: "" };
    const out: string[] = [];
    for (const line of text.split("\n")) {
        if (st.heredoc !== "") {
            out.push(line);
            if (line === st.heredoc) st.heredoc = "";
            continue;
        }
        if (st.quote !== "") {
            out.push(line);
            st.heredoc = scan(line, st);
            continue;
        }
        const trimmed = line.replace(/^[ \t]+/, "");
        // shellcheck directives stay: the text sent is what the tests check.
        if (trimmed === "" || (trimmed.startsWith("#") && !trimmed.startsWith("# shellcheck ")))
            continue;
        out.push(trimmed);
        st.heredoc = scan(trimmed, st);
    }
    return out.join("\n") + "\n";
}
