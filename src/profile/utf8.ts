/**
 * Profile files as bytes. AppArmor reads a profile as bytes: a Latin-1 `é` (0xE9) in a comment or a
 * path is accepted by `apparmor_parser`, and the rule then matches that byte. Such a file has no
 * exact JavaScript string (decoding replaces the byte with U+FFFD, whose UTF-8 is three other
 * bytes), so the library keeps it as bytes where hashes matter and refuses to take it over as text
 * (see {@link notUtf8Message}). Pure: no I/O.
 */

/** Where a byte sequence first stops being well-formed UTF-8. */
export interface Utf8Problem {
    /** Offset (from 0) of the first byte of the ill-formed sequence. */
    readonly offset: number;
    /** That byte. */
    readonly byte: number;
    /** Its line (from 1). */
    readonly line: number;
    /** Its byte column in that line (from 1). */
    readonly column: number;
}

/** Length of the well-formed sequence at `i`, or 0 when ill-formed (Unicode's table 3-7). */
function sequenceAt(b: Uint8Array, i: number): number {
    const c = b[i];
    if (c < 0x80) return 1;
    const cont = (k: number, lo = 0x80, hi = 0xbf) =>
        i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
    if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        const lo = c === 0xe0 ? 0xa0 : 0x80;
        const hi = c === 0xed ? 0x9f : 0xbf; // no surrogates
        return cont(1, lo, hi) && cont(2) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        const lo = c === 0xf0 ? 0x90 : 0x80;
        const hi = c === 0xf4 ? 0x8f : 0xbf; // nothing above U+10FFFF
        return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

/** The first place `bytes` is not well-formed UTF-8, or undefined when all of it is. */
export function utf8Problem(bytes: Uint8Array): Utf8Problem | undefined {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bytes.length; ) {
        const n = sequenceAt(bytes, i);
        if (n === 0) return { offset: i, byte: bytes[i], line, column: i - lineStart + 1 };
        if (bytes[i] === 0x0a) {
            line++;
            lineStart = i + 1;
        }
        i += n;
    }
    return undefined;
}

/** `byte 0xE9 at offset 41 (line 2, column 12)` */
export function describeUtf8Problem(p: Utf8Problem): string {
    const hex = `0x${p.byte.toString(16).toUpperCase().padStart(2, "0")}`;
    return `byte ${hex} at offset ${p.offset} (line ${p.line}, column ${p.column})`;
}

/**
 * AppArmor's octal escape of `byte` in words (`a backslash followed by 351`): messages are shown
 * with backslashes doubled (`escapeControls`), so the escape itself would read wrong.
 */
export function octalEscapeWords(byte: number): string {
    return `the octal escape: a backslash followed by ${byte.toString(8).padStart(3, "0")}`;
}

/**
 * Why a profile file that is not UTF-8 cannot be taken over as text, and the fix: `what` names the
 * file (and host). In a path the byte can be written as AppArmor's octal escape, which
 * `apparmor_parser` reads back as the same byte (so the rule still matches the same files); in a
 * comment it can be converted.
 */
export function notUtf8Message(what: string, p: Utf8Problem): string {
    return (
        `${what} is not valid UTF-8: ${describeUtf8Problem(p)}; ` +
        `its text cannot be kept exactly as a string. ` +
        `Fix: in a path write the byte as ${octalEscapeWords(p.byte)} ` +
        `(apparmor_parser reads it as the same byte), in a comment convert it to UTF-8 ` +
        `(e.g. iconv -f latin1 -t utf-8)`
    );
}

/**
 * `bytes` as a string when they are well-formed UTF-8 (then the string encodes back to exactly
 * these bytes), else the problem.
 */
export function decodeUtf8Exact(
    bytes: Uint8Array,
): { readonly text: string } | { readonly problem: Utf8Problem } {
    const problem = utf8Problem(bytes);
    if (problem) return { problem };
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8") };
}
