import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    generalizePath,
    parseAuditLog,
    renderSuggestions,
    suggestRules,
    suggestRulesByProfile,
} from "../../../src/log";
import { renderRule } from "../../../src/profile/render";

const K = "audit: type=1400 audit(1700000000.100:1): ";
const line = (body: string) => `${K}apparmor="DENIED" ${body}`;

describe("generalizePath", () => {
    const table: [string, string][] = [
        ["/etc/shadow", "/etc/shadow"],
        ["/proc/1234/mem", "/proc/@{pid}/mem"],
        ["/proc/1234/task/1240/stat", "/proc/@{pid}/task/@{tid}/stat"],
        ["/proc/self/mem", "/proc/self/mem"],
        ["/proc/sys/kernel/ostype", "/proc/sys/kernel/ostype"],
        ["/run/user/1000/bus", "/run/user/@{uid}/bus"],
        [
            "/var/lib/docker/containers/0b9d1c2e-1234-4abc-9def-0123456789ab/hostname",
            "/var/lib/docker/containers/[0-9a-f]*-[0-9a-f]*-[0-9a-f]*-[0-9a-f]*-[0-9a-f]*/hostname",
        ],
        ["/tmp/tmp.Ab3dE9fGh1", "/tmp/tmp.*"],
        ["/tmp/ssh-gRozJw4786/agent.4786", "/tmp/ssh-*/agent.4786"],
        ["/tmp/tmpk2j3x8qz.json", "/tmp/*.json"],
        ["/tmp/a/x", "/tmp/a/x"],
        ["/tmp/report", "/tmp/report"],
        ["/srv/f[1]*{a}?", "/srv/f\\[1\\]\\*\\{a\\}\\?"],
        ["/srv/@{x}", "/srv/@\\{x\\}"],
    ];
    for (const [input, want] of table) {
        it(`${input} → ${want}`, () => assert.strictEqual(generalizePath(input), want));
    }
});

describe("suggestRules", () => {
    const log = [
        line(
            'operation="mknod" profile="docker-default" name="/tmp/a/x" pid=1 comm="touch" requested_mask="c" denied_mask="c" fsuid=0 ouid=0',
        ),
        line(
            'operation="open" profile="docker-default" name="/proc/1234/mem" pid=2 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
        ),
        line(
            'operation="open" profile="docker-default" name="/proc/99/mem" pid=3 comm="cat" requested_mask="w" denied_mask="w" fsuid=0 ouid=0',
        ),
        line(
            'operation="capable" profile="docker-default" pid=4 comm="chmod" capability=4  capname="fsetid"',
        ),
        line(
            'operation="capable" profile="docker-default" pid=4 comm="ip" capability=12  capname="net_admin"',
        ),
        line(
            'operation="create" profile="docker-default" pid=5 comm="ping" family="inet" sock_type="raw" protocol=1 requested_mask="create" denied_mask="create"',
        ),
        line(
            'operation="signal" profile="docker-default" pid=6 comm="sh" requested_mask="receive" denied_mask="receive" signal=term peer="unconfined"',
        ),
        line(
            'operation="signal" profile="docker-default" pid=6 comm="sh" requested_mask="receive" denied_mask="receive" signal=kill peer="unconfined"',
        ),
        line(
            'operation="ptrace" profile="docker-default" pid=7 comm="strace" requested_mask="read" denied_mask="read" peer="unconfined"',
        ),
        line(
            'operation="exec" profile="docker-default" name="/usr/bin/id" pid=8 comm="sh" requested_mask="x" denied_mask="x" fsuid=0 ouid=0 target="docker-default//null-/usr/bin/id"',
        ),
        line(
            'operation="link" profile="docker-default" name="/tmp/b" pid=9 comm="ln" requested_mask="l" denied_mask="l" fsuid=0 ouid=0 target="/tmp/a/y"',
        ),
        line(
            'operation="mount" info="failed flags match" error=-13 profile="docker-default" name="/mnt/" pid=10 comm="mount" fstype="tmpfs" srcname="tmpfs" flags="rw, nosuid"',
        ),
        line(
            'operation="dbus_method_call" bus="system" path="/org/freedesktop/hostname1" interface="org.freedesktop.DBus.Properties" member="GetAll" mask="send" name="org.freedesktop.hostname1" pid=11 label="docker-default" peer_pid=1 peer_label="unconfined"',
        ),
        line(
            'operation="open" profile="docker-default" name="/tmp/a b/f" pid=12 comm="cat" requested_mask="ra" denied_mask="a" fsuid=0 ouid=0',
        ),
        `${K}apparmor="STATUS" operation="profile_load" profile="unconfined" name="docker-default" pid=1 comm="apparmor_parser"`,
        `${K}apparmor="AUDIT" operation="open" profile="docker-default" name="/etc/hosts" pid=1 comm="cat" requested_mask="r" fsuid=0 ouid=0`,
    ].join("\n");
    const records = parseAuditLog(log).events;

    it("turns each kind of denial into a typed rule, merging permissions per path", () => {
        const rules = suggestRules(records);
        const text = rules.map((r) => renderRule(r));
        assert.deepStrictEqual(text, [
            "capability fsetid,",
            "capability net_admin,",
            "network inet raw,",
            "dbus send bus=system path=/org/freedesktop/hostname1 interface=org.freedesktop.DBus.Properties member=GetAll peer=(name=org.freedesktop.hostname1, label=unconfined),",
            "link /tmp/b -> /tmp/a/y,",
            "mount fstype=tmpfs options=(rw, nosuid) tmpfs -> /mnt/,",
            "ptrace read peer=unconfined,",
            "signal receive set=(kill, term) peer=unconfined,",
            "/proc/@{pid}/mem rw,",
            '"/tmp/a b/f" a,',
            "/tmp/a/x w,",
            "/usr/bin/id ix,",
        ]);
        const kinds = rules.map((r) => r.kind);
        for (const k of [
            "capability",
            "network",
            "signal",
            "ptrace",
            "file",
            "link",
            "mount",
            "dbus",
        ]) {
            assert.ok(kinds.includes(k as never), k);
        }
    });

    it("io_uring denials become io_uring rules (AppArmor 4), override_creds with its peer label", () => {
        const peer = Buffer.from("peer app").toString("hex").toUpperCase();
        const uring = parseAuditLog(
            [
                line(
                    'operation="uring_sqpoll" class="io_uring" profile="demo-app" pid=3110 comm="uring-bench" requested="sqpoll" denied="sqpoll"',
                ),
                line(
                    `operation="uring_override" class="io_uring" profile="demo-app" pid=3110 comm="uring-bench" requested="override_creds" denied="override_creds" tcontext=${peer}`,
                ),
                line(
                    `operation="uring_override" class="io_uring" profile="demo-app" pid=3111 comm="uring-bench" requested="override_creds" denied="override_creds" tcontext=${peer}`,
                ),
            ].join("\n"),
        ).events;
        assert.deepStrictEqual(
            suggestRules(uring).map((r) => renderRule(r)),
            ["io_uring sqpoll,", 'io_uring override_creds label="peer app",'],
        );
    });

    it("ignores STATUS and AUDIT events, and ALLOWED ones when asked", () => {
        const allowed = parseAuditLog(
            `${K}apparmor="ALLOWED" operation="open" profile="p" name="/x" requested_mask="r" denied_mask="r"`,
        ).events;
        assert.strictEqual(suggestRules(allowed).length, 1);
        assert.strictEqual(suggestRules(allowed, { includeAllowed: false }).length, 0);
        const rules = suggestRules(records).map((r) => renderRule(r));
        assert.ok(!rules.some((r) => r.includes("/etc/hosts")));
    });

    it("groups by profile and renders profile text", () => {
        const by = suggestRulesByProfile(records);
        assert.deepStrictEqual(
            by.map((s) => [s.profile, s.events]),
            [["docker-default", 14]],
        );
        const text = renderSuggestions(by);
        assert.match(
            text,
            /^# profile docker-default: 12 rule\(s\) from 14 event\(s\)\n {2}capability fsetid,\n/,
        );
    });

    it("produces rules apparmor_parser compiles inside a profile", function () {
        this.timeout(60000);
        const body = renderSuggestions(suggestRulesByProfile(records));
        const profile = `abi <abi/3.0>,\ninclude <tunables/global>\nprofile suggest-test {\n${body}}\n`;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "suggest-"));
        const file = path.join(dir, "p");
        fs.writeFileSync(file, profile);
        try {
            const parser = fs.existsSync("/usr/sbin/apparmor_parser")
                ? "/usr/sbin/apparmor_parser"
                : "apparmor_parser";
            execFileSync(parser, ["-Q", "-K", file], { stdio: "pipe" });
        } catch (e) {
            const err = e as { stderr?: Buffer };
            assert.fail(`apparmor_parser refused:\n${profile}\n${err.stderr?.toString()}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
