/**
 * What `status` and `import` make of a host's inventory (pure): one row per profile on the host
 * (loaded, a file in the profile directory, or a manifest of this library), its version (sha256 of
 * its canonical text), whether the loaded policy is the file compiled, the processes and containers
 * it confines; the managed profiles no stack declares (orphans); the table. Every name is host
 * text: the table and messages escape it (`escapeControls`), JSON goes through `safeJson`.
 */
import type { InventoryResult } from "../host/inventory";
import { escapeControls } from "../log/escape";
import { describeUtf8Problem, parseProfile, profileVersion, type Utf8Problem } from "../profile";
import { installHeaderLine } from "../host/header";

export interface ProfileRow {
    readonly name: string;
    /** A manifest of this library records it. */
    readonly managed: boolean;
    /** Managed, with the original it adopted kept on the host. */
    readonly adopted: boolean;
    /** `DIR/NAME` when the profile directory holds a file of that name. */
    readonly file?: string;
    readonly fileSha256?: string;
    /** sha256 of the file's canonical text (what `Profile` calls its version). */
    readonly version?: string;
    /** Why there is no version (the text does not parse, is not UTF-8, or was too large to read). */
    readonly versionError?: string;
    /**
     * Where the file stops being valid UTF-8, when it does: `fileSha256` is still its exact sha256,
     * but it has no exact text, so no version and no import.
     */
    readonly notUtf8?: Utf8Problem;
    /** The mode in the file's header flags. */
    readonly fileMode?: string;
    readonly loaded: boolean;
    /** The kernel's mode (enforce, complain, …) when loaded. */
    readonly mode?: string;
    readonly policySha1?: string;
    readonly fileSha1?: string;
    /** The loaded policy is exactly the file compiled on the host; undefined when not both there. */
    readonly policyMatchesFile?: boolean;
    readonly compileError?: string;
    /** Processes whose label is the profile or one of its children. */
    readonly processes: number;
    /** Running containers under the profile (by their kernel label), or started with it. */
    readonly containers: readonly { id: string; name: string; label: string }[];
    /** With stack exports: managed, but no stack declares it. */
    readonly orphan?: boolean;
}

/** `NAME` of a kernel label `NAME (mode)` (or the label itself, e.g. `unconfined`). */
export function labelName(label: string): string {
    const m = / \(([a-z_]+)\)$/.exec(label);
    return m ? label.slice(0, m.index) : label;
}

/** The mode in the header flags of profile `name` in `text` (enforce when none is given). */
export function headerMode(text: string, name: string): string | undefined {
    const line = installHeaderLine(text, name);
    if (line === undefined) return undefined;
    const flags = /\(([^)]*)\)/.exec(text.split("\n")[line - 1].split("{")[0]);
    const words = flags ? flags[1].split(/[\s,]+/) : [];
    return words.find((w) => ["complain", "kill", "unconfined", "prompt"].includes(w)) ?? "enforce";
}

/** The rows of an inventory, sorted by name. */
export function inventoryRows(inv: InventoryResult): ProfileRow[] {
    const names = new Set<string>();
    const loaded = new Map<string, string>();
    for (const l of inv.loaded) {
        loaded.set(l.name, l.mode);
        names.add(l.name);
    }
    const policies = new Map(inv.policies.map((p) => [p.name, p.sha1]));
    const manifests = new Map(inv.manifests.map((m) => [m.name, m]));
    const files = new Map(inv.files.map((f) => [f.name, f]));
    for (const n of [...manifests.keys(), ...files.keys()]) names.add(n);
    const procs = new Map<string, number>();
    for (const l of inv.labels) {
        const n = labelName(l.label);
        procs.set(n, (procs.get(n) ?? 0) + l.processes);
    }
    const rows: ProfileRow[] = [];
    for (const name of [...names].sort()) {
        const f = files.get(name);
        const m = manifests.get(name);
        const mode = loaded.get(name);
        const policySha1 = policies.get(name) || undefined;
        let version: string | undefined;
        let versionError: string | undefined;
        let fileMode: string | undefined;
        if (f?.text !== undefined) {
            try {
                version = profileVersion(parseProfile(f.text));
            } catch (e) {
                versionError = `does not parse: ${(e as Error).message.split("\n")[0]}`;
            }
            fileMode = headerMode(f.text, name);
        } else if (f?.notUtf8) {
            versionError = `not valid UTF-8: ${describeUtf8Problem(f.notUtf8)}`;
            // The header is ASCII: read as Latin-1, every byte is one character.
            if (f.raw) fileMode = headerMode(f.raw.toString("latin1"), name);
        } else if (f) versionError = "larger than 1 MiB: not read";
        let processes = 0;
        for (const [n, c] of procs) if (n === name || n.startsWith(`${name}//`)) processes += c;
        const containers = inv.containers
            .filter(
                (c) =>
                    labelName(c.label) === name ||
                    (c.option === name && labelName(c.label) !== name),
            )
            .map((c) => ({ id: c.id, name: c.name, label: c.label }));
        const fileSha1 = f?.fileSha1 || undefined;
        rows.push({
            name,
            managed: m !== undefined,
            adopted: m?.adopted === true,
            ...(f ? { file: `${inv.dir}/${name}`, fileSha256: f.sha256 } : {}),
            ...(version ? { version } : {}),
            ...(versionError ? { versionError } : {}),
            ...(f?.notUtf8 ? { notUtf8: f.notUtf8 } : {}),
            ...(fileMode ? { fileMode } : {}),
            loaded: mode !== undefined,
            ...(mode ? { mode } : {}),
            ...(policySha1 ? { policySha1 } : {}),
            ...(fileSha1 ? { fileSha1 } : {}),
            ...(f && mode !== undefined && policySha1
                ? { policyMatchesFile: fileSha1 !== undefined && fileSha1 === policySha1 }
                : {}),
            ...(f?.compileError ? { compileError: f.compileError } : {}),
            processes,
            containers,
        });
    }
    return rows;
}

/** The HostProfile resource type in stack state. */
const HOST_PROFILE_TYPE = "pulumi-nodejs:dynamic/apparmor:HostProfile";

/**
 * The profile names a `pulumi stack export` declares (its `HostProfile` resources, on any host: a
 * name some stack declares is never called an orphan, even when that stack names the host
 * differently). Throws on a text that is not a stack export.
 */
export function declaredProfiles(exportText: string): Set<string> {
    let doc: unknown;
    try {
        doc = JSON.parse(exportText);
    } catch {
        throw new Error("not JSON (expected the output of `pulumi stack export`)");
    }
    const d = (doc as { deployment?: { resources?: unknown } } | null)?.deployment;
    if (!d || typeof d !== "object")
        throw new Error("no deployment (expected the output of `pulumi stack export`)");
    const resources = Array.isArray(d.resources) ? d.resources : [];
    const out = new Set<string>();
    for (const r of resources as {
        type?: unknown;
        outputs?: Record<string, unknown>;
        inputs?: Record<string, unknown>;
    }[]) {
        if (r?.type !== HOST_PROFILE_TYPE) continue;
        for (const v of [r.outputs?.profileName, r.inputs?.profileName])
            if (typeof v === "string") out.add(v);
    }
    return out;
}

/** The rows of the `names` profiles (all rows when `names` is empty), in the same order. */
export function selectProfiles(
    rows: readonly ProfileRow[],
    names: readonly string[],
): ProfileRow[] {
    if (names.length === 0) return [...rows];
    const wanted = new Set(names);
    return rows.filter((r) => wanted.has(r.name));
}

/** The rows with `orphan` set: managed here and declared by none of the stacks. */
export function markOrphans(
    rows: readonly ProfileRow[],
    declared: ReadonlySet<string>,
): ProfileRow[] {
    return rows.map((r) => ({ ...r, orphan: r.managed && !declared.has(r.name) }));
}

function short(h: string | undefined): string {
    return h ? h.slice(0, 12) : "-";
}

function pad(s: string, n: number): string {
    return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** The status table: one line per profile, host text escaped. */
export function renderStatusTable(rows: readonly ProfileRow[], withOrphans: boolean): string {
    const head = ["PROFILE", "MANAGED", "VERSION", "MODE", "POLICY=FILE", "PROCS", "CONTAINERS"];
    if (withOrphans) head.push("ORPHAN");
    const body = rows.map((r) => {
        const cells = [
            escapeControls(r.name),
            r.adopted ? "adopted" : r.managed ? "yes" : "no",
            r.version ? short(r.version) : r.file ? "(unreadable)" : "-",
            r.mode ?? (r.fileMode ? `(${r.fileMode}, not loaded)` : "-"),
            r.policyMatchesFile === undefined
                ? "-"
                : r.policyMatchesFile
                  ? "yes"
                  : r.compileError
                    ? "no (compile error)"
                    : "no",
            String(r.processes),
            r.containers
                .map((c) =>
                    labelName(c.label) === r.name
                        ? escapeControls(c.name)
                        : `${escapeControls(c.name)} (${escapeControls(c.label)}!)`,
                )
                .join(",") || "-",
        ];
        if (withOrphans) cells.push(r.orphan ? "ORPHAN" : "");
        return cells;
    });
    const widths = head.map((h, i) =>
        Math.min(48, Math.max(h.length, ...body.map((b) => b[i].length))),
    );
    const line = (cells: string[]) =>
        cells
            .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i])))
            .join("  ")
            .trimEnd();
    return [line(head), ...body.map(line)].join("\n") + "\n";
}
