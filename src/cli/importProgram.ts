/**
 * The Pulumi TypeScript program `pulumi-apparmor import` writes (pure): one `Profile` per adopted
 * profile, `profileFile` pointing at the saved text, `adopt: true`, the mode the kernel runs it in,
 * and the containers it confines as a comment. Host values reach the program only as JSON string
 * literals or in `//` comments escaped by `escapeControls` (no line break can end a comment); the
 * SSH key is read from the stack's secret config (`sshKey`), never written into the program.
 */
import { validateProfileName } from "../host";
import { escapeControls } from "../log/escape";
import {
    notUtf8Message,
    parseProfile,
    validateProfile,
    type PolicyDocument,
    type Profile,
} from "../profile";
import { installHeaderProblem } from "../host/header";
import type { ProfileRow } from "./inventoryView";

/** What the program needs to reach the host (no credential). */
export interface ImportHost {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    /** The pin the import connected with (key line or SHA256: fingerprint). */
    readonly hostKey: string;
    /** Explicit `--sudo`/`--no-sudo`; absent: the Profile's default (sudo unless root). */
    readonly sudo?: boolean;
    readonly dir: string;
    /** `user@host:port`, for the comments. */
    readonly label: string;
}

/** One profile chosen for import: adoptable (with its mode), or not, with the reasons. */
export interface ImportChoice {
    readonly row: ProfileRow;
    readonly text?: string;
    readonly mode?: "enforce" | "complain";
    /** Why it cannot be adopted as a Profile (empty: it can). */
    readonly problems: readonly string[];
    /** Facts to read before the first `up` (e.g. it would load or reload the profile). */
    readonly notes: readonly string[];
}

/**
 * Decides, for a profile file on the host, whether and how the program adopts it. `host` (e.g.
 * `user@host:port`) names the host in the problems. A file that is not valid UTF-8 is refused
 * (it has no exact text to save and hash as the Profile's version), naming the byte and the fix.
 */
export function importChoice(
    row: ProfileRow,
    text: string | undefined,
    host?: string,
): ImportChoice {
    const problems: string[] = [];
    const notes: string[] = [];
    const nameProblem = validateProfileName(row.name);
    if (nameProblem) problems.push(nameProblem);
    if (row.managed)
        problems.push("already managed by pulumi-apparmor (a stack declares it, or did)");
    if (row.notUtf8)
        problems.push(
            notUtf8Message(`${row.file ?? row.name}${host ? ` on ${host}` : ""}`, row.notUtf8),
        );
    else if (text === undefined) problems.push("its text could not be read (larger than 1 MiB?)");
    else if (!nameProblem) {
        let doc: PolicyDocument | undefined;
        try {
            doc = parseProfile(text);
        } catch (e) {
            problems.push(`does not parse: ${(e as Error).message.split("\n")[0]}`);
        }
        if (doc) {
            const top = doc.items.filter((i): i is Profile => i.kind === "profile");
            if (top.length !== 1 || top[0].name !== row.name)
                problems.push(
                    `the file must hold exactly one top-level profile named ${row.name} (found: ${top.map((p) => p.name).join(", ") || "none"})`,
                );
            for (const p of validateProfile(doc, { container: true }))
                problems.push(`${p.path ? `${p.path}: ` : ""}${p.message}`);
            const header = installHeaderProblem(text, row.name);
            if (header) problems.push(header.message);
        }
    }
    let mode: "enforce" | "complain" | undefined;
    const m = row.mode ?? row.fileMode ?? "enforce";
    if (m === "enforce" || m === "complain") mode = m;
    else problems.push(`mode ${m} is not one a Profile manages (enforce, complain)`);
    if (!row.loaded) notes.push("not loaded: the first `pulumi up` loads it");
    else if (row.fileMode !== undefined && row.fileMode !== row.mode)
        notes.push(
            `the file says ${row.fileMode} but the kernel runs it in ${row.mode}: the first \`pulumi up\` writes the file's header`,
        );
    if (row.loaded && row.policyMatchesFile === false)
        notes.push(
            "the loaded policy is not this file compiled: the first `pulumi up --refresh` reloads it",
        );
    return { row, text, ...(mode ? { mode } : {}), problems, notes };
}

/** A TypeScript identifier for a profile name, unique among `taken`. */
export function identifierFor(name: string, taken: Set<string>): string {
    let id = name.replace(/[^A-Za-z0-9_$]+(.)?/g, (_, c: string | undefined) =>
        c ? c.toUpperCase() : "",
    );
    if (!/^[A-Za-z_$]/.test(id)) id = `p${id}`;
    const reserved = ["config", "host", "path", "pulumi", "Profile", "versions"];
    let out = id;
    for (let i = 2; taken.has(out) || reserved.includes(out); i++) out = `${id}${i}`;
    taken.add(out);
    return out;
}

/** A `//` comment line of host text: escaped, so nothing in it can end the comment. */
function comment(text: string): string {
    return `// ${escapeControls(text)}`;
}

function containerList(row: ProfileRow): string {
    if (row.containers.length === 0) return "none";
    return row.containers.map((c) => `${c.name} (${c.id.slice(0, 12)}, ${c.label})`).join(", ");
}

/** The program's `index.ts`. */
export function renderProgram(h: ImportHost, choices: readonly ImportChoice[], at: string): string {
    const taken = new Set<string>();
    const lines: string[] = [
        comment(`Written by \`pulumi-apparmor import\` from ${h.label} (${h.dir}) at ${at}.`),
        "// Each Profile adopts the host's own profile: its file is saved in profiles/ byte for byte",
        "// and the kernel runs it in the mode below, so the first `pulumi up` changes nothing on the host",
        "// (nothing compiled, written or reloaded). Edit a file in profiles/ and `pulumi up` rolls it",
        "// out; `pulumi destroy` gives the host back its original file and policy.",
        "// The SSH private key comes from the stack's secret config:",
        "//     pulumi config set --secret sshKey < PATH_TO_PRIVATE_KEY",
        'import * as path from "path";',
        'import * as pulumi from "@pulumi/pulumi";',
        'import { Profile } from "pulumi-apparmor";',
        "",
        "const config = new pulumi.Config();",
        "const host = {",
        `    host: ${JSON.stringify(h.host)},`,
        `    port: ${h.port},`,
        `    user: ${JSON.stringify(h.user)},`,
        '    privateKey: config.requireSecret("sshKey"),',
        `    hostKey: ${JSON.stringify(h.hostKey)},`,
        ...(h.sudo !== undefined ? [`    sudo: ${h.sudo},`] : []),
        "};",
        "",
    ];
    const exported: string[] = [];
    for (const c of choices) {
        const r = c.row;
        const facts = [
            `${r.name}: ${r.mode ? `loaded, ${r.mode}` : "not loaded"}`,
            r.version ? `version ${r.version}` : undefined,
            r.policyMatchesFile === undefined
                ? undefined
                : r.policyMatchesFile
                  ? "loaded policy = file"
                  : "loaded policy differs from the file",
            `${r.processes} confined process(es)`,
        ].filter((x) => x !== undefined);
        lines.push(comment(facts.join("; ")));
        lines.push(comment(`containers: ${containerList(r)}`));
        for (const n of c.notes) lines.push(comment(`note: ${n}`));
        if (c.problems.length > 0 || !c.mode) {
            lines.push("// NOT adopted (the saved file is kept for reference):");
            for (const p of c.problems) lines.push(comment(`  - ${p}`));
            lines.push("");
            continue;
        }
        const id = identifierFor(r.name, taken);
        exported.push(`    ${JSON.stringify(r.name)}: ${id}.versions,`);
        lines.push(
            `const ${id} = new Profile(${JSON.stringify(r.name)}, {`,
            "    hosts: [host],",
            `    profileFile: path.join(__dirname, "profiles", ${JSON.stringify(r.name)}),`,
            `    mode: ${JSON.stringify(c.mode)},`,
            `    directory: ${JSON.stringify(h.dir)},`,
            "    adopt: true,",
            "    prepareHosts: false,",
            "});",
            "",
        );
    }
    lines.push("export const versions = {", ...exported, "};", "");
    return lines.join("\n");
}

/** The other files of the program folder (Pulumi.yaml, package.json, tsconfig.json). */
export function programFiles(project: string, libraryVersion: string): Record<string, string> {
    return {
        "Pulumi.yaml": `name: ${project}\nruntime: nodejs\ndescription: AppArmor profiles adopted by pulumi-apparmor import\n`,
        "package.json": `${JSON.stringify(
            {
                name: project,
                private: true,
                main: "index.ts",
                dependencies: {
                    "@pulumi/pulumi": "3.248.0",
                    "pulumi-apparmor": `^${libraryVersion}`,
                },
                devDependencies: { "@types/node": "^20", typescript: "~5.9.0" },
            },
            null,
            4,
        )}\n`,
        "tsconfig.json": `${JSON.stringify(
            {
                compilerOptions: {
                    strict: true,
                    target: "es2020",
                    module: "commonjs",
                    moduleResolution: "node",
                    esModuleInterop: true,
                },
                files: ["index.ts"],
            },
            null,
            4,
        )}\n`,
    };
}

/** A Pulumi project name from a host: letters, digits, `-`, `_`, `.`. */
export function projectName(host: string): string {
    return `apparmor-${host.replace(/[^A-Za-z0-9_.-]+/g, "-")}`.slice(0, 100);
}
