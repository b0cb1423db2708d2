/**
 * denials on the test VM: a burst of 50 denials is counted as 50 through the journal's audit transport
 * (the rate-limited kernel log keeps fewer and reports the rest as suppressed), bounded output with a
 * continuing cursor, the file source with a byte-offset cursor, and forged USER_AVC messages (sent by
 * a process holding only CAP_AUDIT_WRITE, as any docker container does) never returned or counted.
 * A function of the release (issue #18): scripts-denials.test.ts runs it on the shared Debian 12 VM,
 * scripts-denials.trixie.test.ts on the shared Debian 13 one (kernel 6.12, AppArmor 4.1, systemd 257's
 * journald), whose record forms src/log and denials.sh must read the same.
 */
import * as assert from "assert";
import * as fs from "fs";
import { DEFAULT_PROFILE_DIR, hostScripts, type HostExec } from "../../src/host";
import { denials as readDenials } from "../../src/components/hostops";
import { parseAuditLine, suggestRules, type AuditRecord } from "../../src/log";
import { renderRule } from "../../src/profile/render";
import { eventsFor } from "../../src/components/hostProfileProvider";
import { closeAll } from "../../src/components/ssh";
import { type TestHostInfo } from "../support/testhost";
import { releaseHost, type Release } from "../support/releases";
import {
    cleanup,
    dockerRun,
    execFor,
    root,
    secureProfile,
    waitForLogLines,
} from "./scripts-support";

/**
 * Sends MESSAGE (stdin) as a user audit message of type USER_AVC (1107) over a raw NETLINK_AUDIT
 * socket, as auditd's `auditctl -m` or dbus-daemon do; perl-base's Socket is enough.
 */
const FORGE_PL = `use strict;
use Socket;
local $/;
my $text = <STDIN>;
socket(my $s, 16, 3, 9) or die "socket: $!\\n";
my $payload = $text . "\\0";
my $msg = pack("L S S L L", 16 + length($payload), 1107, 5, 1, 0) . $payload;
send($s, $msg, 0, pack("S x2 L L", 16, 0, 0)) or die "send: $!\\n";
defined(recv($s, my $buf, 65536, 0)) or die "recv: $!\\n";
my ($l, $t, $f, $seq, $pid, $err) = unpack("L S S L L l", $buf);
die "netlink error $err\\n" if $t == 2 && $err != 0;
print "sent\\n";
`;

/** Runs the forger as uid 65534 with CAP_AUDIT_WRITE as its only capability (a container's lot). */
const AS_NOBODY_WITH_AUDIT_WRITE =
    "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+audit_write " +
    "--ambient-caps=+audit_write --bounding-set=-all,+audit_write perl /tmp/pa-forge.pl";

/** The suite on the shared VM of `release` (its title names trixie; bookworm's is as before). */
export function scriptsDenialsSuite(release: Release): void {
    describe(`host scripts on the test VM: denials${releaseHost(release).suffix}`, function () {
        this.timeout(600000);
        let info: TestHostInfo;
        let exec: HostExec;
        const name = "pa-burst";

        before(async function () {
            this.timeout(900000);
            info = await releaseHost(release).host();
            exec = execFor(info);
            await hostScripts.install(exec, {
                name,
                text: secureProfile(name),
                mode: "enforce",
                sudo: true,
            });
        });
        after(async () => {
            if (info) await cleanup(info, [name]);
            if (info) await root(info, "rm -f /tmp/pa-forge.pl", { allowFail: true });
            closeAll();
        });

        it("a forged USER_AVC (newlines, CAP_AUDIT_WRITE only) is never returned nor counted; a real denial is", async () => {
            const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;
            const kcursor = (
                await hostScripts.denials(exec, {
                    cursor: "now",
                    source: "journal-kernel",
                    sudo: true,
                })
            ).cursor;
            // this run's names (the VM is shared: other runs may log denials under the same profile)
            const tag = `t${process.pid}-${Date.now()}`;
            const real = `/tmp/a/${tag}-real-denial`;
            const rec = (file: string, type = "") =>
                `${type}apparmor="DENIED" operation="open" profile="${name}" name="/tmp/a/${tag}-${file}" pid=1 comm="sh" requested_mask="r" denied_mask="r" fsuid=0 ouid=0`;
            // 1. records hidden in a message with newlines, laid out to be read as entries of
            //    journalctl's export format (MESSAGE=…, empty line ends an entry) and as kernel lines
            const multi =
                `${rec("forged-first")}\n\nMESSAGE=AVC ${rec("forged-export")}\n_AUDIT_TYPE=1400\n\n` +
                `MESSAGE=${rec("forged-kernel", "audit: type=1400 audit(1700000000.123:99): ")}\n\n` +
                `audit: type=1400 audit(1700000000.123:98): ${rec("forged-line")}\n`;
            // 2. a plain one-line USER_AVC claiming a denial (what dbus-daemon sends, but from anyone)
            const single = rec("forged-inline");
            const b64 = (t: string) => Buffer.from(t).toString("base64");
            // 3. then a real denial by the kernel: a process confined by the profile (one SSH call)
            const r = await root(
                info,
                [
                    "cat > /tmp/pa-forge.pl <<'PA_EOF'",
                    FORGE_PL.trimEnd(),
                    "PA_EOF",
                    `printf '%s' '${b64(multi)}' | base64 -d | ${AS_NOBODY_WITH_AUDIT_WRITE}`,
                    `printf '%s' '${b64(single)}' | base64 -d | ${AS_NOBODY_WITH_AUDIT_WRITE}`,
                    `aa-exec -p ${name} -- sh -c 'mkdir -p /tmp/a; touch ${real}' 2>/dev/null || echo denied`,
                ].join("\n"),
            );
            assert.match(r.stdout, /^sent\nsent\ndenied$/m, r.stderr);

            // the forgeries did reach the journal (else this test proves nothing): the audit transport
            // keeps every record; the kernel log is rate-limited (printk), so there they may be lost
            const reached = async () => {
                const raw = await root(
                    info,
                    `journalctl -q -o json --all _TRANSPORT=audit --after-cursor '${cursor.slice(8)}' | grep -c '${tag}-forged-inline'; ` +
                        `journalctl -q -o json --all _TRANSPORT=kernel --after-cursor '${kcursor.slice(8)}' | grep -c '${tag}-forged-export'`,
                    { allowFail: true },
                );
                return raw.stdout.trim().split("\n").map(Number);
            };
            let counts = await reached();
            for (let i = 0; i < 30 && counts[0] !== 1; i++) {
                await new Promise((res) => setTimeout(res, 2000));
                counts = await reached();
            }
            assert.strictEqual(counts[0], 1, "the forged USER_AVC is not in the audit transport");
            process.stderr.write(
                `      [denials] forged USER_AVC in the kernel transport: ${counts[1] === 1 ? "yes" : "no (printk rate limit)"}\n`,
            );

            for (const [source, c] of [
                ["journal-audit", cursor],
                ["journal-kernel", kcursor],
            ] as const) {
                const got = await waitForLogLines(exec, c, (l) => l.includes(real), 1, {
                    source,
                    timeoutMs: 120000,
                    // the rate-limited kernel log may have dropped it: a reload's STATUS line makes
                    // the kernel say so, and the wait ends there instead of at the timeout
                    nudge:
                        source === "journal-kernel"
                            ? () => root(info, `apparmor_parser -r ${DEFAULT_PROFILE_DIR}/${name}`)
                            : undefined,
                });
                const all = await hostScripts.denials(exec, { cursor: c, source, sudo: true });
                assert.strictEqual(all.source, source);
                assert.deepStrictEqual(
                    all.lines.filter((l) => l.includes("forged")),
                    [],
                    `${source} returned a forged record`,
                );
                const mine = all.lines.filter((l) => l.includes(tag));
                if (source === "journal-kernel" && mine.length === 0 && all.suppressed > 0) {
                    // the rate-limited kernel log dropped the real one too (and says so)
                    process.stderr.write(`      [denials] kernel log: real denial suppressed\n`);
                } else {
                    assert.deepStrictEqual(
                        mine.map((l) => /name="([^"]+)"/.exec(l)?.[1]),
                        [real],
                        `${source}: ${got.lines.length} line(s) seen`,
                    );
                }
                assert.ok(all.lines.every((l) => !/[\x00-\x1f]/.test(l)));
            }

            // the provider's read path: hostops.denials + eventsFor, from the stored cursor
            const t = {
                host: info.host,
                port: info.port,
                user: info.user,
                privateKey: fs.readFileSync(info.privateKeyPath, "utf8"),
                hostKey: info.hostKey,
            };
            const d = await readDenials(t, "vm", true, cursor);
            const events = eventsFor(d.records, name).filter((e) => e.target.includes(tag));
            assert.deepStrictEqual(
                events.map((e) => [e.kind, e.target]),
                [["DENIED", real]],
            );
        });

        it("a burst of 50 denials is counted as 50 via the audit transport", async () => {
            const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;
            assert.match(cursor, /^journal:s=/);
            const kcursor = (
                await hostScripts.denials(exec, {
                    cursor: "now",
                    source: "journal-kernel",
                    sudo: true,
                })
            ).cursor;
            const run = await dockerRun(
                info,
                "mkdir -p /tmp/a; n=0; for i in $(seq 1 50); do touch /tmp/a/burst$i 2>/dev/null || n=$((n+1)); done; echo denied=$n",
                { profile: name },
            );
            assert.match(run.stdout, /denied=50/, run.stderr);
            // journald writes asynchronously: poll until the count settles.
            let lines: string[] = [];
            for (let i = 0; i < 30; i++) {
                const r = await hostScripts.denials(exec, { cursor, sudo: true });
                assert.strictEqual(r.source, "journal-audit");
                assert.strictEqual(r.suppressed, 0);
                lines = r.lines.filter(
                    (l) => l.includes(`profile="${name}"`) && /name="\/tmp\/a\/burst\d+"/.test(l),
                );
                if (lines.length >= 50) break;
                await new Promise((res) => setTimeout(res, 1000));
            }
            const names = new Set(lines.map((l) => /name="([^"]+)"/.exec(l)?.[1]));
            assert.strictEqual(lines.length, 50);
            assert.strictEqual(names.size, 50);
            assert.ok(lines.every((l) => l.includes('apparmor="DENIED"')));

            // The same burst through the kernel log: rate-limited. The kernel reports the loss
            // ("kauditd_printk_skb: N callbacks suppressed") only when it prints the next audit line
            // after the rate-limit interval: the wait's nudge (a profile reload logs a STATUS record)
            // makes one, and the wait ends when the read reports dropped lines or has all 50.
            const k = await waitForLogLines(
                exec,
                kcursor,
                (l) => l.includes(`profile="${name}"`) && l.includes("/tmp/a/burst"),
                50,
                {
                    source: "journal-kernel",
                    nudge: () => root(info, `apparmor_parser -r ${DEFAULT_PROFILE_DIR}/${name}`),
                },
            );
            const klines = k.lines;
            process.stderr.write(
                `      [denials] burst of 50: audit transport ${lines.length}, kernel log ${klines.length} + ${k.suppressed} suppressed\n`,
            );
            assert.ok(klines.length <= 50);
            if (klines.length < 50) {
                assert.ok(
                    k.suppressed >= 50 - klines.length,
                    "kernel log lost lines without reporting them",
                );
            }
        });

        it("bounded output: small maxBytes pages through every line exactly once", async () => {
            const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;
            const run = await dockerRun(
                info,
                "mkdir -p /tmp/a; for i in $(seq 1 20); do touch /tmp/a/page$i 2>/dev/null; done; true",
                { profile: name },
            );
            assert.strictEqual(run.code, 0);
            let seen: string[] = [];
            for (let i = 0; i < 30; i++) {
                const all = await hostScripts.denials(exec, { cursor, sudo: true });
                seen = all.lines.filter((l) => l.includes("/tmp/a/page"));
                if (seen.length >= 20) break;
                await new Promise((res) => setTimeout(res, 1000));
            }
            assert.strictEqual(seen.length, 20);
            const maxBytes = 700; // about two lines per page
            let c = cursor;
            const paged: string[] = [];
            let pages = 0;
            for (;;) {
                const r = await hostScripts.denials(exec, { cursor: c, maxBytes, sudo: true });
                assert.ok(r.bytes <= maxBytes);
                assert.strictEqual(
                    r.bytes,
                    r.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
                );
                paged.push(...r.lines);
                pages++;
                if (r.lines.length > 0) c = r.cursor;
                if (!r.truncated) break;
                assert.ok(r.lines.length > 0, "a truncated page must make progress");
                assert.ok(pages < 100);
            }
            assert.deepStrictEqual(
                paged.filter((l) => l.includes("/tmp/a/page")),
                seen,
            );
            assert.ok(pages > 5, `only ${pages} pages`);
            // Nothing new after the last cursor.
            const tail = await hostScripts.denials(exec, { cursor: c, sudo: true });
            assert.ok(!tail.lines.some((l) => l.includes("/tmp/a/page")));
        });

        it("the kern.log source uses a byte offset + inode cursor and detects rotation", async () => {
            // The VM has no syslog daemon: make a kern.log from the kernel ring buffer, as rsyslog would.
            await root(
                info,
                "dmesg > /var/log/kern.log.pa-test; mv /var/log/kern.log.pa-test /var/log/kern.log",
            );
            try {
                const first = await hostScripts.denials(exec, {
                    cursor: "start",
                    source: "kernlog",
                    sudo: true,
                });
                assert.strictEqual(first.source, "kernlog");
                assert.match(first.cursor, /^kernlog:\d+:\d+$/);
                const size = Number((await root(info, "stat -c %s /var/log/kern.log")).stdout);
                assert.strictEqual(Number(first.cursor.split(":")[2]), size);
                assert.ok(first.lines.every((l) => l.includes("apparmor=")));
                const line =
                    '[ 9999.000000] audit: type=1400 audit(1700000000.123:99999): apparmor="DENIED" operation="open" profile="pa-burst" name="/tmp/a/appended" pid=1 comm="touch" requested_mask="wc" denied_mask="wc" fsuid=0 ouid=0';
                await root(info, `cat >> /var/log/kern.log`, {
                    // (dmesg stamps every record; a stamp-less line there continues the one before)
                    stdin: `${line}\n[ 9999.100000] kauditd_printk_skb: 7 callbacks suppressed\nunrelated line\npartial`,
                });
                const next = await hostScripts.denials(exec, {
                    cursor: first.cursor,
                    source: "kernlog",
                    sudo: true,
                });
                assert.deepStrictEqual(next.lines, [line]);
                assert.strictEqual(next.suppressed, 7);
                // The unfinished last line is not consumed.
                const size2 = Number((await root(info, "stat -c %s /var/log/kern.log")).stdout);
                assert.strictEqual(Number(next.cursor.split(":")[2]), size2 - "partial".length);
                const none = await hostScripts.denials(exec, {
                    cursor: next.cursor,
                    source: "kernlog",
                    sudo: true,
                });
                assert.deepStrictEqual([none.lines.length, none.cursorReset], [0, false]);
                // Rotation: a new inode resets the cursor.
                const rotatedLine =
                    '[ 1.000000] audit: type=1400 audit(1700000001.000:1): apparmor="STATUS" operation="profile_load" profile="unconfined" name="pa-rotated" pid=1 comm="apparmor_parser"';
                await root(
                    info,
                    "mv /var/log/kern.log /var/log/kern.log.1 && cat > /var/log/kern.log",
                    {
                        stdin: `${rotatedLine}\n`,
                    },
                );
                const rotated = await hostScripts.denials(exec, {
                    cursor: next.cursor,
                    source: "kernlog",
                    sudo: true,
                });
                assert.strictEqual(rotated.cursorReset, true);
                assert.deepStrictEqual(rotated.lines, [rotatedLine]);
            } finally {
                await root(info, "rm -f /var/log/kern.log /var/log/kern.log.1");
            }
        });

        it("the file sources take only kernel records: user audit messages and their continuation lines never", async () => {
            const avc = (n: number, file: string) =>
                `audit(1700000000.${n}:${9000 + n}): apparmor="DENIED" operation="open" profile="${name}" name="/tmp/a/${file}" pid=1 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0`;
            const user = (n: number, text: string) =>
                `audit(1700000000.${n}:${9000 + n}): pid=1 uid=65534 auid=0 ses=1 subj=unconfined msg='${text}`;
            const k = (stamp: string) => `Nov 25 10:00:00 testhost kernel: [ ${stamp}] `;
            // kern.log as rsyslog writes it (printk gives each line of a record the record's stamp)
            // and as dmesg prints it (continuation lines indented)
            const kern = [
                `${k("9000.100000")}audit: type=1400 ${avc(100, "real-1")}`,
                `${k("9000.200000")}audit: type=1107 ${user(200, "x")}`,
                `${k("9000.200000")}audit: type=1400 ${avc(201, "forged-rsyslog")}`,
                `${k("9000.200000")}kauditd_printk_skb: 999 callbacks suppressed'`,
                `${k("9000.300000")}audit: type=1107 ${user(300, `apparmor="DENIED" operation="open" profile="${name}" name="/tmp/a/forged-oneline"'`)}`,
                `${k("9000.400000")}kauditd_printk_skb: 3 callbacks suppressed`,
                `[ 9000.500000] audit: type=1107 ${user(500, "x")}`,
                `               audit: type=1400 ${avc(501, "forged-dmesg")}`,
                `               [ 9000.600000] audit: type=1400 ${avc(502, "forged-dmesg-stamp")}'`,
                `[ 9000.700000] audit: type=1400 ${avc(700, "real-2")}`,
                `${k("9000.800000")}audit: type=1400 ${avc(800, "real-3")} type=1107 x`,
            ];
            // auditd's log (auditd writes one record per line: it turns newlines into spaces)
            const audit = [
                `type=AVC msg=${avc(100, "real-a")}`,
                `type=USER_AVC msg=${user(200, `apparmor="DENIED" operation="open" profile="${name}" name="/tmp/a/forged-user-avc"'`)}`,
                `type=1107 msg=${user(300, `apparmor="DENIED" name="/tmp/a/forged-1107"'`)}`,
                `type=UNKNOWN[1107] msg=${user(400, `apparmor="DENIED" name="/tmp/a/forged-unknown"'`)}`,
                `x type=AVC msg=${avc(500, "forged-prefix")}`,
                `node=host1 type=AVC msg=${avc(600, "real-node")}`,
                `type=APPARMOR_DENIED msg=${avc(700, "real-legacy")}`,
                `type=UNKNOWN[1503] msg=${avc(800, "real-unknown")}`,
            ];
            const have = await root(info, "ls -d /var/log/audit 2>/dev/null; true");
            assert.strictEqual(
                have.stdout.trim(),
                "",
                "this test creates /var/log/audit: it must not exist",
            );
            await root(
                info,
                "mkdir -p /var/log/audit && cat > /var/log/audit/audit.log && " +
                    `printf '%s' '${Buffer.from(`${kern.join("\n")}\n`).toString("base64")}' | base64 -d > /var/log/kern.log && stat -c %i /var/log/kern.log`,
                { stdin: `${audit.join("\n")}\n` },
            );
            try {
                const names = (lines: readonly string[]) =>
                    lines.map((l) => /name="\/tmp\/a\/([^"]+)"/.exec(l)?.[1]);
                const a = await hostScripts.denials(exec, {
                    cursor: "start",
                    source: "auditlog",
                    sudo: true,
                });
                assert.deepStrictEqual(names(a.lines), [
                    "real-a",
                    "real-node",
                    "real-legacy",
                    "real-unknown",
                ]);
                const kl = await hostScripts.denials(exec, {
                    cursor: "start",
                    source: "kernlog",
                    sudo: true,
                });
                assert.deepStrictEqual(names(kl.lines), ["real-1", "real-2", "real-3"]);
                assert.strictEqual(kl.suppressed, 3);
                // from a cursor inside the user record: the line before the cursor is looked at
                const inode = kl.cursor.split(":")[1];
                const mid = Buffer.byteLength(`${kern.slice(0, 2).join("\n")}\n`);
                const k2 = await hostScripts.denials(exec, {
                    cursor: `kernlog:${inode}:${mid}`,
                    source: "kernlog",
                    sudo: true,
                });
                assert.strictEqual(k2.cursorReset, false);
                assert.deepStrictEqual(names(k2.lines), ["real-2", "real-3"]);
                assert.strictEqual(k2.suppressed, 3);
            } finally {
                await root(info, "rm -rf /var/log/audit /var/log/kern.log");
            }
        });

        it("a suggested rule for a name with a newline and ESC (octal escapes) allows exactly that file", async () => {
            const p = "pa-octal";
            const file = "/tmp/pa-octal/a\nb\x1bc";
            const profile = (rule: string) =>
                `abi <abi/3.0>,\ninclude <tunables/global>\nprofile ${p} {\n  include <abstractions/base>\n  /{usr/,}bin/** rix,\n  /tmp/pa-octal/ r,\n${rule}}\n`;
            const read = `aa-exec -p ${p} -- cat "$(printf '/tmp/pa-octal/a\\nb\\033c')" && echo read-ok`;
            try {
                const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true }))
                    .cursor;
                const first = await root(
                    info,
                    `mkdir -p /tmp/pa-octal && printf x > "$(printf '/tmp/pa-octal/a\\nb\\033c')" && ` +
                        `printf y > /tmp/pa-octal/other && apparmor_parser -r -K <<'PA_EOF'\n${profile("")}PA_EOF\n${read}`,
                    { allowFail: true },
                );
                assert.ok(!first.stdout.includes("read-ok"), "the read must be denied first");
                const got = await waitForLogLines(exec, cursor, (l) =>
                    l.includes(`profile="${p}"`),
                );
                const records = got.lines
                    .map((l) => parseAuditLine(l))
                    .filter((r) => r.kind === "record")
                    .map((r) => (r as { record: AuditRecord }).record);
                assert.ok(
                    records.some((r) => r.name === file),
                    JSON.stringify(records),
                );
                const rules = suggestRules(records.filter((r) => r.name === file)).map((r) =>
                    renderRule(r, "  "),
                );
                assert.deepStrictEqual(rules, ["  /tmp/pa-octal/a\\012b\\033c r,"]);
                const second = await root(
                    info,
                    `apparmor_parser -r -K <<'PA_EOF'\n${profile(`${rules[0]}\n`)}PA_EOF\n${read}; ` +
                        `aa-exec -p ${p} -- cat /tmp/pa-octal/other || echo other-denied`,
                    { allowFail: true },
                );
                assert.match(second.stdout, /^xread-ok$/m, second.stderr);
                assert.match(second.stdout, /other-denied/);
            } finally {
                await root(
                    info,
                    `apparmor_parser -R -K <<'PA_EOF'\n${profile("")}PA_EOF\nrm -rf /tmp/pa-octal`,
                    {
                        allowFail: true,
                    },
                );
            }
        });

        it("a malformed journal cursor is a clear error", async () => {
            await assert.rejects(
                hostScripts.denials(exec, { cursor: "journal:s=zz;i=1", sudo: true }),
                /journalctl failed/,
            );
        });
    });
}
