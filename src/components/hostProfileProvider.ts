/**
 * The dynamic provider of one profile on one host (`HostProfile`). It runs in the engine's
 * `pulumi-resource-pulumi-nodejs` process, loaded by path from {@link ./dynamic.ts}; every SSH
 * connection it opens is pooled per host in that process.
 *
 * - create/update: install (one compile, load the compiled policy, then the atomic file write; a
 *   rejected load changes nothing; host lock; idempotent) in the desired mode; its verified result
 *   is the live state. Preflight runs only to explain a failed install. Create also takes the log
 *   position to read denials from; update leaves denials to the next refresh.
 * - read (refresh): status + the denials since the stored cursor; live state and drift reasons.
 * - diff: desired inputs vs what state (refreshed or not) says; drift forces an update.
 * - delete: unload by name + remove the file (or restore the adopted original); refused while
 *   processes still run confined by the profile unless `onDeleteInUse` is "remove"; an unreachable
 *   host fails clearly unless told to forget it.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PlainConnection } from "./connection";
import { connectionCheckFailures } from "./connection";
import { isUnknown } from "./unknown";
import { dangerousRule, escapeControls, kernelAuditType } from "../log";
import { HostStepError, HostStepTimeout } from "./errors";
import * as ops from "./hostops";
import {
    driftReasons,
    HostDenials,
    LiveState,
    normalizeDenials,
    ProfileMode,
    pushHistory,
    recordDenials,
    VersionRecord,
} from "../state";
import { privateKeyProblem, SshError, seenHostKey, SshTarget } from "./ssh";
import { validateHostDirectory } from "../host";
import { suggestRules } from "../log";
import {
    abiRequirements,
    checkHostAbi,
    parseProfile,
    pinnedAbi,
    renderRule,
    type HostAbiFacts,
} from "../profile";

/**
 * The suggested rules (profile text, one line each) that would allow what a record reports. A rule
 * that would weaken the confinement itself (`dangerousRule`: CAP_SYS_ADMIN, mounts,
 * change_profile to unconfined, …) is offered only commented out, with the reason:
 * `# DANGEROUS (REASON): capability sys_admin,`.
 */
export function ruleSuggestions(r: ops.LogRecord): string[] {
    const out: string[] = [];
    for (const rule of suggestRules([r])) {
        try {
            const text = renderRule(rule);
            // One rule per line: a logged name the renderer wrote over several lines is not offered.
            if (/[\u0000-\u001f\u007f]/.test(text)) continue;
            const danger = dangerousRule(rule);
            out.push(danger === undefined ? text : `# DANGEROUS (${danger}): ${text}`);
        } catch {
            // A logged name the renderer cannot write safely: no suggestion.
        }
    }
    return out;
}

/** Inputs of a `HostProfile` (what the component passes). */
export interface HostProfileInputs {
    /** secret: the whole object is marked secret in state. */
    connection: PlainConnection;
    /** `user@host:port`, for messages and display. */
    target: string;
    /** key of the host in the component's outputs. */
    hostName: string;
    profileName: string;
    profileText: string;
    /** profile version (sha256 of the canonical text). */
    version: string;
    mode: ProfileMode;
    directory: string;
    /** desired drift: always empty; `read` fills the refreshed copy with the reasons found. */
    drift: string[];
    /** take over an unmanaged file or loaded profile of the same name (restored at delete). */
    adopt?: boolean;
    /** delete while processes are confined by the profile: "refuse" (default) or "remove". */
    onDeleteInUse?: OnDeleteInUse;
    /**
     * Set by `HostProfile` in preview runs only: `check` then compiles a new version on the host
     * ({@link compileAtPreview}) and leaves this flag out of the inputs it returns.
     */
    preview?: boolean;
    /** With a rollout: what the host's wave did (load times for `history`; not compared by diff). */
    rolloutStage?: RolloutStage;
}

/** The part of a rollout wave's host record a HostProfile uses (see `rollout/wave.ts`). */
export interface RolloutStage {
    readonly version: string;
    readonly stagedAt?: string;
    readonly stagedMode?: ProfileMode;
    readonly promotedAt?: string;
    /** "passed" once the host went through the wave's gate (see `WavePhase`). */
    readonly phase?: string;
    /** sha256 of the profile file and the kernel's mode the wave found or left. */
    readonly fileSha256?: string;
    readonly kernelMode?: string;
    /** When the wave last read (or wrote) that file and mode on the host (ISO time). */
    readonly verifiedAt?: string;
}

/** How long a wave's verification of a host stands in for the HostProfile's own install. */
export const ROLLOUT_VERIFIED_MS = 10 * 60 * 1000;

/**
 * The file sha256 a rollout wave verified on the host moments ago, when it stands for what this
 * HostProfile would install, so that its install (a no-op on the host) is skipped: the wave passed
 * this version in the declared mode, and verified it after anything this resource last saw (its
 * own last install or refresh) and within {@link ROLLOUT_VERIFIED_MS}. Otherwise undefined (install).
 * Pure: `now` in milliseconds.
 */
export function rolloutVerifiedSha(
    stage: RolloutStage | undefined,
    news: Pick<HostProfileInputs, "version" | "mode">,
    lastChecked: string | undefined,
    now: number,
): string | undefined {
    if (stage?.phase !== "passed" || stage.version !== news.version) return undefined;
    if (stage.kernelMode !== news.mode || !stage.fileSha256 || !stage.verifiedAt) return undefined;
    const at = Date.parse(stage.verifiedAt);
    if (!Number.isFinite(at) || at > now || now - at > ROLLOUT_VERIFIED_MS) return undefined;
    if (lastChecked !== undefined) {
        const seen = Date.parse(lastChecked);
        if (!Number.isFinite(seen) || seen >= at) return undefined;
    }
    return stage.fileSha256;
}

/**
 * The history after installing `version` in `mode`: a version a rollout wave staged (possibly in
 * complain mode first) is recorded with the wave's load times, so that denials during the soak are
 * attributed to it; otherwise the load happens now.
 */
export function historyAfterLoad(
    history: readonly VersionRecord[] | undefined,
    version: string,
    mode: ProfileMode,
    now: string,
    stage: RolloutStage | undefined,
): { rec: VersionRecord; history: VersionRecord[] } {
    let h = history ? [...history] : undefined;
    let loadedAt = now;
    if (stage?.version === version && stage.stagedAt) {
        if (stage.stagedMode && stage.stagedMode !== mode) {
            h = pushHistory(h, { version, mode: stage.stagedMode, loadedAt: stage.stagedAt });
            loadedAt = stage.promotedAt ?? now;
        } else loadedAt = stage.stagedAt;
    }
    const rec: VersionRecord = { version, mode, loadedAt };
    return { rec, history: pushHistory(h, rec) };
}

/** What deleting a profile does when processes on the host still run confined by it. */
export type OnDeleteInUse = "refuse" | "remove";

/** Seconds delete waits for the processes still confined by the profile to go before refusing. */
export const DELETE_IN_USE_WAIT_SECONDS = 10;

/** What `installed` records: the version on the host, and what the host ran when it was installed. */
export type InstalledRecord = VersionRecord & {
    fileSha256: string;
    /** The host's AppArmor ABI as the last install read it (parser, kernel, ABI files, features). */
    hostAbi?: HostAbiFacts;
};

/** What state records for it. */
export interface HostProfileOutputs extends HostProfileInputs {
    installed: InstalledRecord;
    history: VersionRecord[];
    denials: HostDenials;
    live: LiveState;
    /** fingerprint the host presented (trust on first use when no hostKey is pinned). */
    hostKeySeen?: string;
    /** host writes made by the last create/update: 0 means the host already matched. */
    writes: number;
    checkedAt: string;
}

const INPUT_KEYS: readonly (keyof HostProfileInputs)[] = [
    "connection",
    "target",
    "hostName",
    "profileName",
    "profileText",
    "version",
    "mode",
    "directory",
    "drift",
    "adopt",
    "onDeleteInUse",
];

/** Profile names this library installs: one path component, nothing a shell would read. */
export const PROFILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;
/**
 * Install directories: below /etc/apparmor.d, normalised, plain characters, not AppArmor's own trees
 * (the rule of `validateHostDirectory` in `src/host`, which also gives the message; up to 1024
 * characters).
 */
export const DIRECTORY_RE = new RegExp(
    "^/etc/apparmor\\.d/" +
        "(?!(?:abi|abstractions|cache|disable|force-complain|local|tunables)(?:/|$))" +
        "(?![^/]*\\.d(?:/|$))" +
        "[A-Za-z0-9_+-][A-Za-z0-9._+-]*(?:/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$",
);

/** The transport target, with the pin or else the fingerprint recorded on first use. */
export function sshTarget(c: PlainConnection, recorded?: string): SshTarget {
    const pin = c.hostKey ?? recorded;
    return {
        host: c.host,
        port: c.port,
        user: c.user,
        ...(c.privateKey ? { privateKey: c.privateKey } : {}),
        ...(c.password ? { password: c.password } : {}),
        ...(pin ? { hostKey: pin, hostKeySource: c.hostKey ? "pinned" : "recorded" } : {}),
        ...(c.stepTimeout ? { stepTimeoutMs: c.stepTimeout * 1000 } : {}),
    };
}

/** `check`: the same rules as the component's preview-time validation, for values that were Outputs. */
export function checkInputs(news: Partial<HostProfileInputs>): pulumi.dynamic.CheckFailure[] {
    const f: pulumi.dynamic.CheckFailure[] = [];
    const known = (v: unknown) => v !== undefined && !isUnknown(v);
    if (known(news.connection) && typeof news.connection === "object") {
        f.push(...connectionCheckFailures(news.connection));
        const key = news.connection.privateKey;
        if (typeof key === "string" && !isUnknown(key)) {
            const why = privateKeyProblem(key);
            if (why)
                f.push({
                    property: "connection.privateKey",
                    reason: `cannot be read as an SSH private key (${why}); fix: pass the key file's text (OpenSSH or PEM), unencrypted`,
                });
        }
    }
    if (known(news.profileName) && !PROFILE_NAME_RE.test(String(news.profileName)))
        f.push({
            property: "profileName",
            reason: "must be 1–200 characters among A-Z a-z 0-9 . _ + - (it becomes a file name)",
        });
    if (known(news.directory)) {
        const why = validateHostDirectory(String(news.directory));
        if (why) f.push({ property: "directory", reason: why });
    }
    if (known(news.adopt) && typeof news.adopt !== "boolean")
        f.push({ property: "adopt", reason: "must be true or false" });
    if (
        known(news.onDeleteInUse) &&
        news.onDeleteInUse !== "refuse" &&
        news.onDeleteInUse !== "remove"
    )
        f.push({ property: "onDeleteInUse", reason: 'must be "refuse" or "remove"' });
    if (known(news.mode) && news.mode !== "enforce" && news.mode !== "complain")
        f.push({ property: "mode", reason: 'must be "enforce" or "complain"' });
    return f;
}

/**
 * Whether `check` compiles the desired text on the host: in a preview, for a version that is new to
 * this host (created, changed, renamed or moved to another host), once every value it needs is
 * known, and only when connecting cannot hand a secret to an unverified host (the host key is
 * pinned, or the connection authenticates with a key, not a password: `check` does not see the key
 * recorded on first use). A no-op preview compiles nothing.
 */
export function compileNeeded(
    olds: Partial<HostProfileInputs>,
    news: Partial<HostProfileInputs>,
): boolean {
    const c = news.connection;
    if (!c || typeof c !== "object" || isUnknown(c)) return false;
    const needed = [news.profileText, news.version, news.target, c.host, c.port, c.user];
    if (needed.some((v) => v === undefined || isUnknown(v))) return false;
    if ([c.privateKey, c.password, c.hostKey].some(isUnknown)) return false;
    if (!c.hostKey && c.password) return false;
    const oc = olds.connection;
    return (
        olds.version !== news.version ||
        olds.profileName !== news.profileName ||
        !oc ||
        oc.host !== c.host ||
        oc.port !== c.port
    );
}

/**
 * Compiles the desired text on the host (`compile` script: `apparmor_parser -Q -K`, the host's own
 * include files, nothing loaded). Returns the check failure reason when the host refuses it, naming
 * the host, the line and the parser's message; undefined when it compiles or the host cannot compile
 * yet (no apparmor_parser: the preparation step installs it before the install runs). Only the
 * diagnostics are reported, never the connection.
 */
export async function compileAtPreview(news: HostProfileInputs): Promise<string | undefined> {
    const where = news.target;
    const lines = news.profileText.split("\n");
    let v: ops.CompileVerdict;
    try {
        v = await ops.compile(sshTarget(news.connection), where, news.profileText);
    } catch (e) {
        return `host ${where}: cannot compile the new profile version at preview: ${wrap(where, e).message}; fix: make the host reachable over SSH, then preview again`;
    }
    // What the host's AppArmor lacks explains a refusal better than the parser's syntax error (3.0
    // reads `userns,` as one), and catches what a 4.x parser accepts but the kernel would not enforce.
    const abi =
        v.ok || v.reason !== "unavailable"
            ? hostAbiProblems(news.profileText, v.hostAbi, where)
            : [];
    if (abi.length) return abi.join("\n");
    if (v.ok || v.reason === "unavailable") return undefined;
    const errors = v.diagnostics.filter((d) => d.severity === "error");
    const shown = (errors.length ? errors : v.diagnostics).slice(0, 3).map((d) => {
        if (d.line === undefined) return d.message;
        const src = (lines[d.line - 1] ?? "").trim().slice(0, 120);
        return `line ${d.line}${src ? ` (\`${src}\`)` : ""}: ${d.message}`;
    });
    const detail = shown.length ? shown.join("; ") : v.message;
    return v.reason === "timeout"
        ? `host ${where}: apparmor_parser did not finish compiling the profile (${detail}); fix: remove includes of special files`
        : `host ${where} refuses the profile (apparmor_parser -Q on the host): ${detail}; fix: correct the rule, or make the file it names exist on the host`;
}

/**
 * The rules of `text` that the host (its facts as a host script reported them) cannot enforce
 * ({@link checkHostAbi}): one message per rule naming the host, the rule, what is missing and the fix.
 * Empty when the facts are unknown or the text does not parse (the validator reports that).
 */
export function hostAbiProblems(
    text: string,
    facts: HostAbiFacts | undefined,
    where: string,
): string[] {
    if (!facts) return [];
    let doc;
    try {
        doc = parseProfile(text);
    } catch {
        return [];
    }
    const reqs = abiRequirements(doc);
    const pinned = pinnedAbi(doc);
    return reqs.length ? checkHostAbi(facts, reqs, where, pinned) : [];
}

/**
 * Whether `text` has rules that need a newer parser or a kernel feature ({@link abiRequirements};
 * an `abi <abi/X>,` line alone does not count: the install's own compile refuses a missing file).
 */
export function usesNewerAbi(text: string): boolean {
    try {
        return abiRequirements(parseProfile(text)).some((r) => r.need !== "abi-file");
    } catch {
        return false;
    }
}

/** Order-insensitive JSON (the engine does not keep object key order). */
export function canonicalJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
    if (v !== null && typeof v === "object")
        return `{${Object.keys(v)
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    return JSON.stringify(v);
}

function sameConnection(a: PlainConnection | undefined, b: PlainConnection | undefined): boolean {
    return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

/** `diff`: desired (news) vs state (olds, possibly refreshed). */
export function diffHostProfile(
    olds: Partial<HostProfileOutputs>,
    news: Partial<HostProfileInputs>,
): pulumi.dynamic.DiffResult {
    const replaces: string[] = [];
    if (olds.profileName !== news.profileName) replaces.push("profileName");
    if (olds.directory !== news.directory) replaces.push("directory");
    const oc = olds.connection;
    const nc = news.connection;
    if (isUnknown(nc) || !oc || !nc || isUnknown(nc.host) || isUnknown(nc.port)) {
        if (isUnknown(nc)) replaces.push("connection");
    } else if (oc.host !== nc.host || oc.port !== nc.port) replaces.push("connection");
    const changed =
        replaces.length > 0 ||
        olds.version !== news.version ||
        olds.profileText !== news.profileText ||
        olds.mode !== news.mode ||
        olds.target !== news.target ||
        olds.hostName !== news.hostName ||
        (olds.adopt ?? false) !== (news.adopt ?? false) ||
        (olds.onDeleteInUse ?? "refuse") !== (news.onDeleteInUse ?? "refuse") ||
        (olds.drift?.length ?? 0) > 0 ||
        !sameConnection(oc, nc);
    return { changes: changed, replaces, deleteBeforeReplace: false };
}

/**
 * Drift reasons of the profile on host `target` ({@link driftReasons}), naming the host when AppArmor
 * itself is off there: then nothing of the profile is enforced, and docker silently runs the
 * containers started with it unconfined.
 */
export function hostDriftReasons(
    target: string,
    expected: { fileSha256: string; mode: ProfileMode },
    live: LiveState,
): string[] {
    if (!live.enabled)
        return [
            `AppArmor is disabled on host ${target} (not enabled in the kernel, or securityfs not ` +
                "mounted): the profile is not enforced and containers started with it run unconfined; " +
                "enable AppArmor on the host (apparmor=1 security=apparmor on the kernel command " +
                "line, reboot), then run `pulumi up`",
        ];
    return driftReasons(expected, live);
}

function nowIso(): string {
    return new Date().toISOString();
}

function wrap(target: string, e: unknown): Error {
    if (e instanceof HostStepError) return e;
    if (e instanceof SshError) return new HostStepError(target, "connect", e.message);
    return e instanceof Error ? e : new Error(String(e));
}

/** Installs desired state (the install script verifies what it loaded); shared by create and update. */
async function apply(
    news: HostProfileInputs,
    olds: Partial<HostProfileOutputs> | undefined,
): Promise<HostProfileOutputs> {
    const t = sshTarget(news.connection, olds?.hostKeySeen);
    const where = news.target;
    try {
        // On the success path only the install script runs: it re-checks root, apparmor_parser and
        // AppArmor itself before touching anything. When it fails, the preflight diagnoses the host
        // and its error (cause and fix) is reported instead; otherwise the install's own.
        // A new resource also takes the log position (the install reports the log's end before its
        // load) so that older lines are not counted as its own. An update reads no denials: the next
        // refresh reads them from the stored cursor and attributes each line by its time to the
        // version loaded then (the history keeps the load times), so a change costs one script run,
        // like a bare reload.
        // A rollout wave that just passed this version in this mode on the host has verified what
        // the install would (file sha256, kernel mode): its result stands in for the install.
        const prev = olds?.denials;
        const verifiedSha = rolloutVerifiedSha(
            news.rolloutStage,
            news,
            olds?.checkedAt,
            Date.now(),
        );
        // Rules only a newer AppArmor enforces are checked against the host before anything loads,
        // also when no preview ran (`up --skip-preview`, the Automation API's `up`): the preview's
        // compile, whose ABI facts name what the host lacks (a 4.x parser on an older kernel would
        // load such a rule without enforcing it). Profiles without such rules pay nothing.
        if (verifiedSha === undefined && usesNewerAbi(news.profileText)) {
            const why = await compileAtPreview(news);
            if (why) throw new Error(why);
        }
        const [dR, iR] = await Promise.allSettled([
            // the install takes it, unless a rollout's result stands in for the install
            prev === undefined && verifiedSha !== undefined
                ? ops.denials(t, where, news.connection.sudo, undefined)
                : Promise.resolve(undefined),
            verifiedSha !== undefined
                ? Promise.resolve<ops.InstallOutcome>({
                      changed: false,
                      fileSha256: verifiedSha,
                      live: ops.liveAfterInstall(verifiedSha, news.mode),
                  })
                : ops.install(t, where, news.connection.sudo, {
                      name: news.profileName,
                      directory: news.directory,
                      text: news.profileText,
                      mode: news.mode,
                      adopt: news.adopt === true,
                      ...(prev === undefined ? { position: true } : {}),
                  }),
        ]);
        if (iR.status === "rejected") {
            // A timed-out or refused connection says all there is; otherwise the host is diagnosed.
            if (!(iR.reason instanceof HostStepTimeout || iR.reason instanceof SshError))
                await ops.preflight(t, where, news.connection.sudo);
            throw iR.reason;
        }
        if (dR.status === "rejected") throw dR.reason;
        const inst = iR.value;
        // a new resource's log position: the rollout's read beside it, else the install's; a host
        // without a log reports none, and a read of its own then says why
        const d =
            prev === undefined
                ? (dR.value ??
                  inst.position ??
                  (await ops.denials(t, where, news.connection.sudo, undefined)))
                : undefined;
        // The install's own result is the live state (see ops.install): no second status/compile.
        const live = inst.live;
        const problems = hostDriftReasons(
            where,
            { fileSha256: inst.fileSha256, mode: news.mode },
            live,
        );
        if (problems.length > 0)
            throw new HostStepError(where, "load", `after install: ${problems.join("; ")}`);
        const prevInstalled = olds?.installed;
        const same =
            !inst.changed &&
            prevInstalled?.version === news.version &&
            prevInstalled?.mode === news.mode;
        let rec: VersionRecord;
        let versions: VersionRecord[];
        if (same) {
            rec = { version: news.version, mode: news.mode, loadedAt: prevInstalled!.loadedAt };
            versions = [...(olds?.history ?? [rec])];
        } else
            ({ rec, history: versions } = historyAfterLoad(
                olds?.history,
                news.version,
                news.mode,
                nowIso(),
                news.rolloutStage,
            ));
        const denials: HostDenials = prev
            ? normalizeDenials(prev)
            : {
                  ...(d?.cursor ? { cursor: d.cursor } : {}),
                  source: d?.source,
                  lost: 0,
                  byVersion: {},
              };
        const seen = seenHostKey(t);
        return {
            ...pickInputs(news),
            drift: [],
            installed: {
                ...rec,
                fileSha256: inst.fileSha256,
                // what the host runs: from this install, else as recorded before (a rollout's wave)
                ...(inst.hostAbi
                    ? { hostAbi: inst.hostAbi }
                    : olds?.installed?.hostAbi
                      ? { hostAbi: olds.installed.hostAbi }
                      : {}),
            },
            history: versions,
            denials,
            live,
            ...(seen
                ? { hostKeySeen: seen }
                : olds?.hostKeySeen
                  ? { hostKeySeen: olds.hostKeySeen }
                  : {}),
            writes: inst.changed ? 1 : 0,
            checkedAt: nowIso(),
        };
    } catch (e) {
        throw wrap(where, e);
    }
}

function pickInputs(v: Partial<HostProfileInputs>): HostProfileInputs {
    const out: Record<string, unknown> = {};
    for (const k of INPUT_KEYS) if (v[k] !== undefined) out[k] = v[k];
    return out as unknown as HostProfileInputs;
}

/**
 * Maps parsed audit records of this profile to the denial store's events (targets escaped with
 * `escapeControls`: they are hex-decoded names). Only records read from a line the kernel wrote count (`kernelAuditType`: AVC or APPARMOR_*, never a USER_AVC whose text a
 * process with CAP_AUDIT_WRITE chose), so a forged line can never be attributed to a profile.
 */
export function eventsFor(records: readonly ops.LogRecord[], profileName: string) {
    const out: import("../state").DenialEvent[] = [];
    for (const r of records) {
        if (r.type !== "DENIED" && r.type !== "ALLOWED") continue;
        if (r.line === undefined || kernelAuditType(r.line) === undefined) continue;
        const prof = r.profile ?? r.label;
        if (prof !== profileName && !(prof ?? "").startsWith(`${profileName}//`)) continue;
        const op = r.operation ?? "unknown";
        let target = r.name ?? "";
        if (op === "capable") target = `capability:${r.capname ?? r.capability ?? "?"}`;
        else if (r.family) target = `network:${r.family}/${r.sockType ?? "?"}`;
        else if (r.signal) target = `signal:${r.signal} peer=${r.peer ?? "?"}`;
        else if (op === "ptrace") target = `ptrace peer=${r.peer ?? "?"}`;
        else if (op.startsWith("uring_"))
            target = `io_uring:${r.deniedMask ?? r.requestedMask ?? "?"}${r.peerProfile !== undefined ? ` peer=${r.peerProfile}` : ""}`;
        out.push({
            kind: r.type,
            operation: op,
            // names are hex-decoded log text: stored (and shown by `pulumi stack output`) escaped
            target: escapeControls(target),
            ...(r.deniedMask ? { mask: r.deniedMask } : {}),
            time: r.timestamp ?? Date.now() / 1000,
            ...(r.line ? { line: r.line } : {}),
            rules: ruleSuggestions(r),
        });
    }
    return out;
}

/** The provider object (also tested directly, without the engine). */
export const hostProfileProvider = {
    async check(
        olds: Partial<HostProfileInputs>,
        news: Partial<HostProfileInputs>,
    ): Promise<pulumi.dynamic.CheckResult> {
        const { preview, ...inputs } = news;
        const failures = checkInputs(news);
        if (failures.length === 0 && preview === true && compileNeeded(olds, news)) {
            const reason = await compileAtPreview(inputs as HostProfileInputs);
            if (reason) failures.push({ property: "profileText", reason });
        }
        return { inputs, failures };
    },

    async diff(
        _id: string,
        olds: Partial<HostProfileOutputs>,
        news: Partial<HostProfileInputs>,
    ): Promise<pulumi.dynamic.DiffResult> {
        return diffHostProfile(olds, news);
    },

    async create(inputs: HostProfileInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await apply(inputs, undefined);
        return { id: `${inputs.target}/${inputs.profileName}`, outs };
    },

    async update(
        _id: string,
        olds: HostProfileOutputs,
        news: HostProfileInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await apply(news, olds) };
    },

    async read(id: string, props: HostProfileOutputs): Promise<pulumi.dynamic.ReadResult> {
        const where = props.target;
        const t = sshTarget(props.connection, props.hostKeySeen);
        try {
            // All at once: they join the host's shared read (one host run for the whole refresh),
            // never answered by a run older than this resource's own last check. The host's ABI
            // facts too (an upgraded parser or kernel, a parser.conf pin): a facts part that fails
            // alone keeps the recorded ones.
            const seenAt = Date.parse(props.checkedAt ?? "") || 0;
            const [live, d, facts] = await Promise.all([
                ops.status(
                    t,
                    where,
                    props.connection.sudo,
                    props.profileName,
                    props.directory,
                    true,
                    seenAt,
                ),
                ops.denials(
                    t,
                    where,
                    props.connection.sudo,
                    props.denials?.cursor,
                    undefined,
                    true,
                    seenAt,
                ),
                // a failed run fails status too; only a facts part failing alone lands here
                ops.hostFacts(t, where, props.connection.sudo, true, seenAt).catch(() => undefined),
            ]);
            const hostAbi = facts ?? props.installed.hostAbi;
            // what the host no longer enforces of the installed text is drift too (see abiDrift)
            const drift = [
                ...hostDriftReasons(
                    where,
                    { fileSha256: props.installed.fileSha256, mode: props.installed.mode },
                    live,
                ),
                ...(facts ? hostAbiProblems(props.profileText, facts, where) : []),
            ];
            const denials = recordDenials(
                props.denials,
                props.history ?? [],
                eventsFor(d.records, props.profileName),
                d,
            );
            const seen = seenHostKey(t);
            const outs: HostProfileOutputs = {
                ...props,
                installed: { ...props.installed, ...(hostAbi ? { hostAbi } : {}) },
                live,
                drift,
                denials,
                ...(seen ? { hostKeySeen: seen } : {}),
                checkedAt: nowIso(),
            };
            return { id, props: outs, inputs: { ...pickInputs(props), drift } };
        } catch (e) {
            throw wrap(where, e);
        }
    },

    async delete(_id: string, props: HostProfileOutputs): Promise<void> {
        const where = props.target;
        const t = sshTarget(props.connection, props.hostKeySeen);
        try {
            // Processes still confined by it are not this stack's containers (those are deleted
            // before their profile): refused unless onDeleteInUse is "remove".
            await ops.remove(t, where, props.connection.sudo, props.profileName, props.directory, {
                onInUse: props.onDeleteInUse ?? "refuse",
                waitSeconds: DELETE_IN_USE_WAIT_SECONDS,
            });
        } catch (e) {
            const err = wrap(where, e);
            const unreachable = e instanceof SshError && e.kind === "unreachable";
            if (unreachable && process.env.PULUMI_APPARMOR_FORGET_UNREACHABLE === "1") {
                process.stderr.write(
                    `warning: ${where} is unreachable; forgetting profile ${props.profileName} without removing it\n`,
                );
                return;
            }
            if (unreachable)
                throw new Error(
                    `${err.message}\nprofile ${props.profileName} cannot be removed from an unreachable host. ` +
                        "To drop it from the stack anyway, run again with PULUMI_APPARMOR_FORGET_UNREACHABLE=1 " +
                        "(or `pulumi state delete` the resource).",
                );
            throw err;
        }
    },
};
