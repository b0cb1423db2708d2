/**
 * Shared parts of the log benchmark: a deterministic generator of AppArmor log lines (every form and
 * operation kind, in the shapes the kernel and auditd write them) and mixed kernel logs, plus the
 * field-by-field comparison with libapparmor's `parse_record` (see bench/log-bench.py).
 *
 * Used by bench/log-bench.ts and by test/unit/log/agreement.test.ts.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { parseAuditLine, subjectProfile } from "../src/log";
import type { AuditEventView, AuditRecord } from "../src/log";

/** Small deterministic PRNG (mulberry32) so every run generates the same corpus. */
export function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const PROFILES = ["docker-default", "nginx-app", "/usr/sbin/cupsd", "vmtest", "web//php-fpm"];
const COMMS = ["touch", "nginx", "cat", "sh", "runc:[2:INIT]", "python3", "chmod", "ping"];
const PATHS = [
    "/tmp/a/x",
    "/etc/shadow",
    "/proc/1234/mem",
    "/sys/kernel/security/apparmor/profiles",
    "/var/lib/app/data.db",
    "/home/user/.ssh/id_ed25519",
    "/run/user/1000/bus",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
];
const OPS = [
    ["open", "r"],
    ["open", "w"],
    ["mknod", "c"],
    ["exec", "x"],
    ["file_perm", "w"],
    ["unlink", "d"],
    ["mkdir", "c"],
    ["truncate", "w"],
    ["file_mmap", "rm"],
    ["chmod", "w"],
] as const;
const CAPS: [number, string][] = [
    [4, "fsetid"],
    [12, "net_admin"],
    [21, "sys_admin"],
    [13, "net_raw"],
    [1, "dac_override"],
];

function hex(s: string): string {
    return Buffer.from(s, "utf8").toString("hex").toUpperCase();
}

/** Which prefix to put before the audit record. */
export type LineForm = "dmesg" | "syslog" | "auditd" | "auditd-legacy" | "journal-audit" | "bare";

export interface GenOptions {
    /** Add `class="…"` like kernels ≥ 6.2 do (libapparmor 3.0.8 rejects such lines). */
    readonly withClass?: boolean;
    /** Only forms libapparmor 3.0.8 can read (the speed comparison uses the same input for both). */
    readonly libapparmorForms?: boolean;
}

/** One random AppArmor line. `i` makes serials and times increase. */
export function appArmorLine(rand: () => number, i: number, opts: GenOptions = {}): string {
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
    const t = 1764064800 + i * 0.013;
    const stamp = `audit(${t.toFixed(3)}:${1000 + i})`;
    const profile = pick(PROFILES);
    const comm = pick(COMMS);
    const pid = 1000 + Math.floor(rand() * 60000);
    const kind = rand();
    const type = rand() < 0.8 ? "DENIED" : "ALLOWED";
    const cls = (c: string) => (opts.withClass ? ` class="${c}"` : "");
    let body: string;
    if (kind < 0.55) {
        const [op, mask] = pick(OPS);
        let name = `"${pick(PATHS)}"`;
        if (rand() < 0.1) name = hex(`/tmp/with space/${i % 7}`);
        body =
            `apparmor="${type}" operation="${op}"${cls("file")} profile="${profile}" name=${name} ` +
            `pid=${pid} comm="${comm}" requested_mask="${mask}" denied_mask="${mask}" fsuid=0 ouid=0`;
    } else if (kind < 0.7) {
        const [num, capname] = pick(CAPS);
        body =
            `apparmor="${type}" operation="capable"${cls("cap")} profile="${profile}" pid=${pid} ` +
            `comm="${comm}" capability=${num}  capname="${capname}"`;
    } else if (kind < 0.8) {
        const [fam, st, proto] = pick([
            ["inet", "stream", 6],
            ["inet6", "dgram", 17],
            ["inet", "raw", 1],
            ["netlink", "raw", 0],
        ] as const);
        body =
            `apparmor="${type}" operation="create"${cls("net")} profile="${profile}" pid=${pid} ` +
            `comm="${comm}" family="${fam}" sock_type="${st}" protocol=${proto} ` +
            `requested_mask="create" denied_mask="create"`;
    } else if (kind < 0.87) {
        body =
            `apparmor="${type}" operation="signal"${cls("signal")} profile="${profile}" pid=${pid} ` +
            `comm="${comm}" requested_mask="receive" denied_mask="receive" ` +
            `signal=${pick(["kill", "term", "hup", "usr1"])} peer="${pick(["unconfined", "runc", "docker-default"])}"`;
    } else if (kind < 0.92) {
        body =
            `apparmor="${type}" operation="ptrace"${cls("ptrace")} profile="${profile}" pid=${pid} ` +
            `comm="${comm}" requested_mask="read" denied_mask="read" peer="unconfined"`;
    } else if (kind < 0.96) {
        const op = pick(["profile_load", "profile_replace", "profile_replace", "profile_remove"]);
        const info =
            op === "profile_replace" && rand() < 0.3
                ? ` info="same as current profile, skipping"`
                : "";
        body =
            `apparmor="STATUS" operation="${op}"${info} profile="unconfined" name="${profile}" ` +
            `pid=${pid} comm="apparmor_parser"`;
    } else if (kind < 0.98) {
        body =
            `apparmor="${type}" operation="mount"${cls("mount")} info="failed flags match" error=-13 ` +
            `profile="${profile}" name="/mnt/" pid=${pid} comm="mount" fstype="tmpfs" srcname="tmpfs" flags="rw, nosuid"`;
    } else {
        body =
            `apparmor="${type}" operation="link"${cls("file")} profile="${profile}" name="/tmp/b${i}" ` +
            `pid=${pid} comm="ln" requested_mask="l" denied_mask="l" fsuid=1000 ouid=1000 target="/tmp/a${i}"`;
    }
    const forms: LineForm[] = opts.libapparmorForms
        ? ["dmesg", "syslog", "auditd"]
        : ["dmesg", "syslog", "auditd", "journal-audit", "bare"];
    const form = pick(forms);
    const up = (1000 + i * 0.013).toFixed(6).padStart(12, " ");
    switch (form) {
        case "dmesg":
            return `[${up}] audit: type=1400 ${stamp}: ${body}`;
        case "syslog":
            return `Nov 25 10:00:00 vmhost kernel: [${up}] audit: type=1400 ${stamp}: ${body}`;
        case "auditd":
            return `type=AVC msg=${stamp}: ${body}`;
        case "auditd-legacy":
            return `type=APPARMOR_${type} msg=${stamp}: ${body.replace(/^apparmor="\w+" /, "")}`;
        case "journal-audit":
            return `Nov 25 10:00:00 vmhost audit[${pid}]: AVC ${body}`;
        case "bare":
            return `audit: type=1400 ${stamp}: ${body}`;
    }
}

const NOISE = [
    (r: () => number, i: number) =>
        `Nov 25 10:00:${String(i % 60).padStart(2, "0")} vmhost kernel: [${(i * 0.01).toFixed(6)}] ` +
        `eth0: renamed from veth${Math.floor(r() * 1e6).toString(16)}`,
    (r: () => number, i: number) =>
        `Nov 25 10:00:01 vmhost systemd[1]: Started session-${i}.scope - Session ${i} of User root.`,
    (r: () => number) =>
        `Nov 25 10:00:02 vmhost kernel: [  123.456789] docker0: port 1(veth${Math.floor(r() * 1e6)}) ` +
        `entered forwarding state`,
    (r: () => number) =>
        `Nov 25 10:00:03 vmhost sshd[${Math.floor(r() * 30000)}]: Accepted publickey for root from ` +
        `10.0.2.2 port ${Math.floor(r() * 60000)} ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789`,
    (r: () => number) =>
        `Nov 25 10:00:04 vmhost dockerd[612]: time="2026-11-25T10:00:04.123456789Z" level=info ` +
        `msg="ignoring event" container=${Math.floor(r() * 1e12).toString(16)} module=libcontainerd ` +
        `namespace=moby topic=/tasks/delete type="*events.TaskDelete"`,
    () =>
        `Nov 25 10:00:05 vmhost kernel: [  124.000001] EXT4-fs (vda1): re-mounted. Quota mode: none.`,
    (r: () => number) =>
        `Nov 25 10:00:06 vmhost CRON[${Math.floor(r() * 30000)}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)`,
];

/** A mixed kernel/syslog text of about `bytes` characters in which 1 line in `every` is AppArmor's. */
export function mixedLog(
    bytes: number,
    every = 100,
    seed = 7,
): { text: string; lines: number; appArmor: number } {
    const rand = rng(seed);
    const parts: string[] = [];
    let size = 0;
    let lines = 0;
    let appArmor = 0;
    while (size < bytes) {
        let line: string;
        if (lines % every === every - 1) {
            line = appArmorLine(rand, lines);
            appArmor++;
        } else {
            line = NOISE[Math.floor(rand() * NOISE.length)](rand, lines);
        }
        parts.push(line);
        size += line.length + 1;
        lines++;
    }
    return { text: parts.join("\n") + "\n", lines, appArmor };
}

// ---------------------------------------------------------------------------------------------
// Agreement with libapparmor

/** libapparmor's view of one line, as printed by `log-bench.py dump`. */
export type LibRecord = Record<string, string | number> | null;

/** Finds a python3 that can `import LibAppArmor` (Debian's package lives in /usr/lib/python3). */
export function libapparmorPython(): string {
    for (const py of ["/usr/bin/python3", "python3"]) {
        try {
            execFileSync(py, ["-c", "import LibAppArmor"], { stdio: "ignore" });
            return py;
        } catch {
            /* next */
        }
    }
    throw new Error(
        "python3-libapparmor is not installed (apt-get install -y python3-libapparmor)",
    );
}

export function libapparmorDump(file: string): LibRecord[] {
    const outFile = `${file}.libapparmor.jsonl`;
    execFileSync(libapparmorPython(), [`${__dirname}/log-bench.py`, "dump", file, outFile], {
        maxBuffer: 1 << 30,
        stdio: ["ignore", "ignore", "pipe"],
    });
    const out = fs.readFileSync(outFile, "utf8");
    fs.rmSync(outFile, { force: true });
    return out
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as LibRecord);
}


/** Our record projected on libapparmor's field names (what libapparmor should report). */
export function projectOurs(r: AuditRecord): Record<string, string | number> {
    const d: Record<string, string | number | undefined> = {
        event: r.type,
        operation: r.operation,
        profile: r.profile ?? r.label,
        // libapparmor stores capname in `name`, `target=` in `name2`, `exe=` in `comm`
        name: r.capname ?? r.name,
        name2: r.name2,
        requested_mask: r.requestedMask,
        denied_mask: r.deniedMask,
        comm: r.extra?.exe ?? r.comm,
        net_family: r.family,
        net_sock_type: r.sockType,
        // libapparmor names the numbers it knows and writes `unknown(N)` for the others
        net_protocol:
            r.protocolName ?? (r.protocol === undefined ? undefined : `unknown(${r.protocol})`),
        signal: r.signal,
        peer: r.peer,
        peer_profile: r.peerProfile,
        dbus_bus: r.bus,
        dbus_path: r.path,
        dbus_interface: r.interface,
        dbus_member: r.member,
        fs_type: r.fstype,
        flags: r.flags,
        src_name: r.srcname,
        info: r.info,
        namespace: r.namespace,
        pid: r.pid || undefined,
        error_code: r.error ? Math.abs(r.error) : undefined,
        epoch: r.timestamp !== undefined ? Math.floor(r.timestamp) || undefined : undefined,
        audit_sub_id: r.serial || undefined,
        fsuid: r.fsuid,
        ouid: r.ouid,
    };
    const out: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(d)) if (v !== undefined) out[k] = v;
    return out;
}

/** A short description of the line's form, to group disagreements into kinds. */
export function lineForm(line: string): string {
    if (line.startsWith("{")) return "journalctl -o json line";
    if (line.startsWith("node=")) return "auditd node= prefix";
    if (/type=USER_AVC .* subj=/.test(line))
        return "USER_AVC with subj= (libapparmor wants pid uid auid ses msg only)";
    if (/ operation="dbus_[a-z_]+" .*\bmethod="/.test(line))
        return "dbus-broker message with method= (libapparmor 3.0.8 knows member= only)";
    if (/ class="/.test(line)) return "line with class= (kernel ≥ 6.2)";
    if (/\[\s*\d+\.\d{0,5}\]/.test(line)) return "dmesg stamp with fewer than 6 decimals";
    if (/ audit\[\d+\]: /.test(line)) return "journald audit transport (no audit(...) stamp)";
    if (!line.includes("audit(")) return "no audit(...) stamp";
    if (/^audit: type=/.test(line))
        return "kernel line without dmesg/syslog prefix (journalctl -k -o cat)";
    if (/\\/.test(line)) return "backslash in a quoted value";
    return "other";
}

export interface Agreement {
    /** Lines where both parsers saw an event and every field agrees, or both saw none. */
    agree: number;
    total: number;
    /** kind → count of lines, with one example line each. */
    kinds: Map<string, { count: number; example: string; detail: string }>;
}

/** Compares both parsers line by line; `lib[i]` is libapparmor's view of `lines[i]`. */
export function compareWithLibapparmor(lines: string[], lib: LibRecord[]): Agreement {
    if (lib.length !== lines.length) {
        throw new Error(`libapparmor returned ${lib.length} results for ${lines.length} lines`);
    }
    const result: Agreement = { agree: 0, total: lines.length, kinds: new Map() };
    const note = (kind: string, line: string, detail: string) => {
        const k = result.kinds.get(kind);
        if (k) k.count++;
        else result.kinds.set(kind, { count: 1, example: line, detail });
    };
    lines.forEach((line, i) => {
        const ours = parseAuditLine(line);
        const theirs = lib[i];
        const form = lineForm(line);
        if (ours.kind !== "record") {
            if (theirs === null) result.agree++;
            else
                note(
                    `libapparmor reads an event we ${ours.kind === "skip" ? "skip" : "reject"} [${form}]`,
                    line,
                    JSON.stringify(theirs),
                );
            return;
        }
        if (theirs === null) {
            note(`libapparmor rejects the line [${form}]`, line, "");
            return;
        }
        const mine = projectOurs(ours.record);
        const fields = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
        fields.delete("audit_id"); // libapparmor's raw "SECONDS.MS:SERIAL" text; compared via epoch/audit_sub_id
        const diffs: string[] = [];
        for (const f of fields) {
            if (mine[f] !== theirs[f]) diffs.push(f);
        }
        if (diffs.length === 0) result.agree++;
        else {
            const detail = diffs
                .map(
                    (f) =>
                        `${f}: ours=${JSON.stringify(mine[f])} libapparmor=${JSON.stringify(theirs[f])}`,
                )
                .join("; ");
            note(`field(s) ${diffs.sort().join(",")} differ [${form}]`, line, detail);
        }
    });
    return result;
}

/** Writes lines to a temp file for the python side. */
export function writeLines(file: string, lines: string[]): void {
    fs.writeFileSync(file, lines.join("\n") + "\n");
}

/**
 * What the aggregator reads from an event (AuditAggregator.add): the kind, the subject profile,
 * time and serial, the operation, every field the entry key may use, masks, pid and comm. Strings
 * are made (and hex decoded) for each field present; absent ones cost a look-up.
 */
export function readAggregatorFields(ev: AuditEventView): number {
    let n = subjectProfile(ev).length + (ev.timestamp ?? 0) + (ev.serial ?? 0);
    if (ev.type === "STATUS") return n + (ev.operation?.length ?? 0) + (ev.info?.length ?? 0);
    n += (ev.operation?.length ?? 0) + (ev.capname?.length ?? 0) + (ev.capability ?? 0);
    n += (ev.signal?.length ?? 0) + (ev.peer?.length ?? 0) + (ev.family?.length ?? 0);
    n += (ev.sockType?.length ?? 0) + (ev.protocol ?? 0) + (ev.fstype?.length ?? 0);
    n += (ev.srcname?.length ?? 0) + (ev.name?.length ?? 0) + (ev.name2?.length ?? 0);
    n += (ev.requestedMask?.length ?? 0) + (ev.deniedMask?.length ?? 0);
    return n + (ev.pid ?? 0) + (ev.comm?.length ?? 0);
}
