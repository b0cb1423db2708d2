/**
 * Opaque read positions in a host's log, so a caller can ask only for what is new since last time.
 *
 * Two sources are supported:
 * - journald: the cursor string journalctl prints (`--show-cursor`, `__CURSOR` in `-o json`), used
 *   with `journalctl --after-cursor=…`;
 * - a plain file (auditd's audit.log, kern.log): inode + byte offset. A different inode (rotation)
 *   or a file shorter than the offset (truncation) restarts at 0.
 *
 * The encoded string is versioned (`v1:`) and meant to be stored as is (e.g. in stack state).
 */

export type LogPosition =
    | { readonly kind: "journal"; readonly cursor: string }
    | {
          readonly kind: "file";
          readonly path: string;
          readonly inode: number;
          readonly offset: number;
      };

/** Encodes a position as an opaque string. */
export function encodeCursor(p: LogPosition): string {
    if (p.kind === "journal") return `v1:j:${p.cursor}`;
    if (!Number.isSafeInteger(p.inode) || !Number.isSafeInteger(p.offset) || p.offset < 0) {
        throw new Error(`invalid file position: inode ${p.inode}, offset ${p.offset}`);
    }
    return `v1:f:${p.inode}:${p.offset}:${p.path}`;
}

/** Decodes a cursor; undefined for anything that is not one (a caller then reads from the start). */
export function decodeCursor(s: string | undefined): LogPosition | undefined {
    if (s === undefined) return undefined;
    if (s.startsWith("v1:j:")) {
        const cursor = s.slice(5);
        return cursor.length > 0 ? { kind: "journal", cursor } : undefined;
    }
    const m = /^v1:f:(\d+):(\d+):(.*)$/s.exec(s);
    if (!m) return undefined;
    const inode = Number(m[1]);
    const offset = Number(m[2]);
    if (!Number.isSafeInteger(inode) || !Number.isSafeInteger(offset)) return undefined;
    return { kind: "file", inode, offset, path: m[3] };
}

/** Where to start reading `file` given the stored cursor: the stored offset, or 0 after rotation/truncation. */
export function resumeOffset(
    cursor: string | undefined,
    file: { readonly path: string; readonly inode: number; readonly size: number },
): number {
    const p = decodeCursor(cursor);
    if (p === undefined || p.kind !== "file") return 0;
    if (p.path !== file.path || p.inode !== file.inode || p.offset > file.size) return 0;
    return p.offset;
}

/**
 * The cursor after reading `text` from `startOffset` of `file`. Only complete lines count: a final
 * line without its newline is read again next time.
 */
export function fileCursorAfter(
    file: { readonly path: string; readonly inode: number },
    startOffset: number,
    text: string,
): string {
    const lastNl = text.lastIndexOf("\n");
    const consumed = lastNl < 0 ? 0 : utf8Length(text, lastNl + 1);
    return encodeCursor({
        kind: "file",
        path: file.path,
        inode: file.inode,
        offset: startOffset + consumed,
    });
}

/** Byte length of the UTF-8 encoding of `s[0, end)` (offsets in files are bytes). */
function utf8Length(s: string, end: number): number {
    let n = 0;
    for (let i = 0; i < end; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x80) n += 1;
        else if (c < 0x800) n += 2;
        else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
            n += 4;
            i++;
        } else n += 3;
    }
    return n;
}
