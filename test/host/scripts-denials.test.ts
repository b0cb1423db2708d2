/**
 * denials on the test VM: a burst of 50 denials is counted as 50 through the journal's audit transport
 * (the rate-limited kernel log keeps fewer and reports the rest as suppressed), bounded output with a
 * continuing cursor, and the file source with a byte-offset cursor.
 */
import * as assert from "assert";
import { hostScripts, type HostExec } from "../../src/host";
import { sharedTestHost, type TestHostInfo } from "../support/testhost";
import { cleanup, dockerRun, execFor, root, secureProfile } from "./scripts-support";

describe("host scripts on the test VM: denials", function () {
    this.timeout(600000);
    let info: TestHostInfo;
    let exec: HostExec;
    const name = "pa-burst";

    before(async function () {
        this.timeout(900000);
        info = await sharedTestHost();
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
    });

    it("a burst of 50 denials is counted as 50 via the audit transport", async () => {
        const cursor = (await hostScripts.denials(exec, { cursor: "now", sudo: true })).cursor;
        assert.match(cursor, /^journal:s=/);
        const kcursor = (
            await hostScripts.denials(exec, { cursor: "now", source: "journal-kernel", sudo: true })
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
        // ("kauditd_printk_skb: N callbacks suppressed") only when it prints the next audit line after
        // the rate-limit interval, so make one (a profile reload logs a STATUS record) and poll.
        await new Promise((res) => setTimeout(res, 6000));
        await root(info, `apparmor_parser -r /etc/apparmor.d/containers/${name}`);
        let k = await hostScripts.denials(exec, {
            cursor: kcursor,
            source: "journal-kernel",
            sudo: true,
        });
        for (let i = 0; i < 30 && k.suppressed === 0; i++) {
            await new Promise((res) => setTimeout(res, 1000));
            k = await hostScripts.denials(exec, {
                cursor: kcursor,
                source: "journal-kernel",
                sudo: true,
            });
        }
        const klines = k.lines.filter(
            (l) => l.includes(`profile="${name}"`) && l.includes("/tmp/a/burst"),
        );
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
                stdin: `${line}\nkauditd_printk_skb: 7 callbacks suppressed\nunrelated line\npartial`,
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
            await root(
                info,
                "mv /var/log/kern.log /var/log/kern.log.1 && printf 'x apparmor=\"DENIED\" y\\n' > /var/log/kern.log",
            );
            const rotated = await hostScripts.denials(exec, {
                cursor: next.cursor,
                source: "kernlog",
                sudo: true,
            });
            assert.strictEqual(rotated.cursorReset, true);
            assert.deepStrictEqual(rotated.lines, ['x apparmor="DENIED" y']);
        } finally {
            await root(info, "rm -f /var/log/kern.log /var/log/kern.log.1");
        }
    });

    it("a malformed journal cursor is a clear error", async () => {
        await assert.rejects(
            hostScripts.denials(exec, { cursor: "journal:s=zz;i=1", sudo: true }),
            /journalctl failed/,
        );
    });
});
