/**
 * The paths of a compose file that compose resolves against the project directory: relative bind
 * mount sources (short `./data:/data` and long `{type: bind, source}` forms), `env_file` entries,
 * build contexts (`build: ./app`, `build.context`, an object without context meaning `.`), and the
 * `file` of top-level `configs` and `secrets`. Read from the parsed file (parse.ts), not the text.
 * Pure.
 */
import type { ComposeFile } from "./parse";

/** One relative path: where it is (`service web: bind mount`) and the path as written. */
export interface RelativeComposePath {
    readonly where: string;
    readonly path: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A host path compose would resolve against the project directory (not absolute, not `~`). */
function isRelativePath(p: unknown): p is string {
    return typeof p === "string" && p !== "" && !p.startsWith("/") && !p.startsWith("~");
}

/** A build context that is a folder (not a git or http URL). */
function isRelativeContext(p: unknown): p is string {
    return isRelativePath(p) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) && !p.startsWith("git@");
}

/**
 * The short volume form's source when it is a relative host path: compose reads a source starting
 * with `.` as a bind mount (anything else without `/` or `~` is a named volume).
 */
function shortVolumeSource(v: string): string | undefined {
    const source = v.split(":")[0];
    return source.startsWith(".") ? source : undefined;
}

/** Every relative path of `file` (see the module comment), in file order. */
export function relativeComposePaths(file: ComposeFile): RelativeComposePath[] {
    const out: RelativeComposePath[] = [];
    for (const [name, svc] of Object.entries(file.services)) {
        if (!isRecord(svc)) continue;
        const at = (what: string) => `service ${name}: ${what}`;
        for (const v of Array.isArray(svc.volumes) ? svc.volumes : []) {
            if (typeof v === "string") {
                const s = shortVolumeSource(v);
                if (s !== undefined) out.push({ where: at("bind mount"), path: s });
            } else if (isRecord(v) && v.type === "bind" && isRelativePath(v.source))
                out.push({ where: at("bind mount"), path: v.source });
        }
        const envFiles = Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
        for (const e of envFiles) {
            const p = isRecord(e) ? e.path : e;
            if (isRelativePath(p)) out.push({ where: at("env_file"), path: p });
        }
        if (typeof svc.build === "string" && isRelativeContext(svc.build))
            out.push({ where: at("build context"), path: svc.build });
        else if (isRecord(svc.build)) {
            const ctx = svc.build.context ?? ".";
            if (isRelativeContext(ctx)) out.push({ where: at("build context"), path: ctx });
        }
    }
    for (const section of ["configs", "secrets"] as const) {
        const entries = file[section];
        if (!isRecord(entries)) continue;
        for (const [name, c] of Object.entries(entries))
            if (isRecord(c) && isRelativePath(c.file))
                out.push({ where: `${section.slice(0, -1)} ${name}: file`, path: c.file });
    }
    return out;
}
