/**
 * Making log text safe to print. Names, `comm`, profile names and every other field of an audit
 * record are chosen by whoever made the logged process act (the kernel hex-encodes them, the parser
 * decodes them): printed as they are, a newline starts a line that looks like the program's own
 * output, an ESC sequence moves the cursor or rewrites the screen, a bidi control reorders what the
 * reader sees. Use `escapeControls` on every piece of log text that reaches a terminal, a file a
 * human reads, or a message, and `safeJson` for JSON output. Pure.
 */

/**
 * Characters a terminal, an editor or a text renderer may act on instead of showing: C0 controls,
 * DEL, C1 controls, the soft hyphen, Unicode format and bidi controls (U+061C, U+180E,
 * U+200B–U+200F, U+202A–U+202E, U+2060–U+206F, U+FEFF, U+FFF9–U+FFFB), line and paragraph
 * separators (U+2028, U+2029), and unpaired surrogates.
 */
const UNSAFE_SOURCE =
    "[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e" +
    "\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|" +
    "(?<![\\ud800-\\udbff])[\\udc00-\\udfff]";
const UNSAFE_TEST = new RegExp(UNSAFE_SOURCE);
const UNSAFE_OR_BACKSLASH = new RegExp(`${UNSAFE_SOURCE}|\\\\`, "g");
const UNSAFE_GLOBAL = new RegExp(UNSAFE_SOURCE, "g");

const NAMED: Readonly<Record<string, string>> = {
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\\": "\\\\",
};

/** True when `s` holds a character `escapeControls` would escape (other than a backslash). */
export function hasUnsafeChars(s: string): boolean {
    return UNSAFE_TEST.test(s);
}

/**
 * `s` with every unsafe character (see above) written as a visible escape: `\n`, `\r`, `\t`,
 * `\xHH` for the other C0/C1 controls and DEL, `\u{HHHH}` for the rest; a backslash is doubled, so
 * the result reads back unambiguously. Other text, including printable non-ASCII, is unchanged.
 */
export function escapeControls(s: string): string {
    return s.replace(UNSAFE_OR_BACKSLASH, (c) => {
        const named = NAMED[c];
        if (named !== undefined) return named;
        const code = c.charCodeAt(0);
        if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
        return `\\u{${code.toString(16).toUpperCase().padStart(4, "0")}}`;
    });
}

/**
 * `JSON.stringify(value)`, with the unsafe characters JSON.stringify leaves as they are (DEL, C1
 * controls, format and bidi controls, U+2028/U+2029) written as `\uHHHH` escapes too: the same
 * JSON value, safe to print.
 */
export function safeJson(value: unknown): string {
    const json = JSON.stringify(value);
    if (json === undefined) return "null";
    return json.replace(
        UNSAFE_GLOBAL,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}
