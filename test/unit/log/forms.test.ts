/**
 * Denial forms found missing against real-world logs (issue #17 item 3): dbus-daemon and
 * dbus-broker USER_AVC messages (label= and exe= instead of profile= and comm=), kernel STATUS
 * records without operation= (policy unpack failures), io_uring records with a peer label
 * (tcontext=), and network protocols by name (as libapparmor reports them) next to the number.
 * Fixture files: test/fixtures/logs/userspace-dbus.log, kernel-status-uring-net.log.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PassThrough, Readable } from "stream";
import { main } from "../../../src/cli/main";
import {
    AuditRecord,
    parseAuditLine,
    parseAuditLog,
    recordProfile,
    renderSuggestions,
    scanAuditEvents,
    suggestRulesByProfile,
} from "../../../src/log";

const FIXTURES = path.join(__dirname, "../../fixtures/logs");
const K = "[ 1400.100000] audit: type=1400 audit(1795601000.101:401): ";

function one(line: string): AuditRecord {
    const r = parseAuditLine(line, { syslogYear: 2026 });
    assert.strictEqual(r.kind, "record", `${line}\n→ ${JSON.stringify(r)}`);
    return (r as { record: AuditRecord }).record;
}

async function cli(args: string[], text: string): Promise<string> {
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (b) => (out += b));
    await main(["denials", ...args], {
        stdin: Readable.from([Buffer.from(text)]),
        stdout,
        stderr: new PassThrough(),
    });
    return out;
}

describe("denial forms: user-space dbus mediators", () => {
    const daemon = `type=USER_AVC msg=audit(1795600900.101:301): pid=812 uid=103 auid=4294967295 ses=4294967295 msg='apparmor="DENIED" operation="dbus_method_call"  bus="system" path="/org/freedesktop/systemd1" interface="org.freedesktop.systemd1.Manager" member="GetUnit" mask="send" name="org.freedesktop.systemd1" pid=2481 label="snap.demo.app" peer_pid=1 peer_label="unconfined"  exe="/usr/bin/dbus-daemon" sauid=103 hostname=? addr=? terminal=?'`;
    const broker = `type=USER_AVC msg=audit(1795600900.303:304): pid=700 uid=81 auid=4294967295 ses=4294967295 msg='apparmor="DENIED" operation="dbus_send" bus="system" path="/org/freedesktop/DBus" interface="org.freedesktop.DBus" method="Hello" exe="/usr/bin/dbus-broker" sauid=81 hostname=? addr=? terminal=?'`;
    const journal = `Nov 25 10:15:00 testhost audit[700]: USER_AVC pid=700 uid=81 auid=4294967295 ses=4294967295 msg='apparmor="DENIED" operation="dbus_method_call" bus="system" path="/org/freedesktop/hostname1" interface="org.freedesktop.DBus.Properties" member="GetAll" mask="send" name="org.freedesktop.hostname1" label="demo-app" peer_label="unconfined" exe="/usr/bin/dbus-broker" sauid=81 hostname=? addr=? terminal=?'`;

    it("dbus-daemon: the subject is label=, comm is exe= (the mediator), pid is the sender's", () => {
        const r = one(daemon);
        assert.strictEqual(recordProfile(r), "snap.demo.app");
        assert.deepStrictEqual(
            [r.label, r.comm, r.pid, r.peerProfile, r.extra?.exe],
            ["snap.demo.app", "/usr/bin/dbus-daemon", 2481, "unconfined", "/usr/bin/dbus-daemon"],
        );
    });
    it("dbus-broker: method= is the member, exe= the comm", () => {
        const r = one(broker);
        assert.deepStrictEqual(
            [r.member, r.comm, r.operation],
            ["Hello", "/usr/bin/dbus-broker", "dbus_send"],
        );
    });
    it("journald's text form of USER_AVC ends at the message's closing quote", () => {
        const r = one(journal);
        assert.strictEqual(r.extra?.terminal, "?");
        assert.strictEqual(r.label, "demo-app");
    });
    it("a comm= on the line wins over exe=", () => {
        const r = one(
            `${K}apparmor="DENIED" operation="open" profile="p" name="/x" comm="cat" exe="/bin/cat"`,
        );
        assert.strictEqual(r.comm, "cat");
    });
    it("the view's comm and is('comm') agree with the record", () => {
        let n = 0;
        scanAuditEvents(`${daemon}\n${broker}\n`, (ev) => {
            n++;
            assert.strictEqual(ev.comm, ev.toRecord().comm);
            assert.ok(ev.is("comm", ev.toRecord().comm!));
        });
        assert.strictEqual(n, 2);
    });
    it("the CLI shows them under their label with the mediator as COMM; suggestions get an access", async () => {
        const text = fs.readFileSync(path.join(FIXTURES, "userspace-dbus.log"), "utf8");
        const out = await cli(["-"], text);
        assert.match(out, /^snap\.demo\.app {2}\(4 event\(s\): 3 DENIED, 1 ALLOWED\)$/m);
        assert.match(out, /^demo-app {2}\(3 event\(s\): 3 DENIED\)$/m);
        assert.match(
            out,
            /dbus_method_call +1 +DENIED +system \/org\/freedesktop\/login1 .* \/usr\/bin\/dbus-broker$/m,
        );
        const only = await cli(["-", "--json", "--profile", "demo-app"], text);
        assert.strictEqual(only.trim().split("\n").length, 3);
        const suggested = renderSuggestions(suggestRulesByProfile(parseAuditLog(text).events));
        // the old dbus-broker form has no mask: the access comes from the operation
        assert.match(
            suggested,
            /^ {2}dbus send bus=system path=\/org\/freedesktop\/DBus interface=org\.freedesktop\.DBus member=Hello,$/m,
        );
    });
});

describe("denial forms: kernel records", () => {
    it("STATUS without operation= (a policy that failed to unpack) is an event, not malformed", () => {
        const line = `${K}apparmor="STATUS" info="failed to unpack profile" error=-71 profile="unconfined" name="demo-broken" pid=3101 comm="apparmor_parser" name="demo-broken" offset=151`;
        const r = one(line);
        assert.deepStrictEqual(
            [r.type, r.operation, r.info, r.error, r.name, r.extra?.offset],
            ["STATUS", undefined, "failed to unpack profile", -71, "demo-broken", "151"],
        );
        // other kinds still need one
        assert.strictEqual(
            parseAuditLine(`${K}apparmor="DENIED" profile="p" name="/x"`).kind,
            "malformed",
        );
    });
    it("io_uring: tcontext= is the peer label, peerProfile as libapparmor (hex decoded like other labels)", () => {
        const hex = Buffer.from("peer app").toString("hex").toUpperCase();
        const r = one(
            `${K}apparmor="DENIED" operation="uring_override" class="io_uring" profile="demo-app" pid=3110 comm="uring-bench" requested="override_creds" denied="override_creds" tcontext=${hex}`,
        );
        assert.deepStrictEqual(
            [r.operation, r.peerProfile, r.requestedMask, r.deniedMask],
            ["uring_override", "peer app", "override_creds", "override_creds"],
        );
    });
    it("network protocol by name next to the number; no name for unnamed numbers", () => {
        const net = (p: string) =>
            one(
                `${K}apparmor="DENIED" operation="create" profile="p" family="inet" sock_type="raw" protocol=${p} requested_mask="create" denied_mask="create"`,
            );
        const table: [string, number | undefined, string | undefined][] = [
            ["6", 6, "tcp"],
            ["17", 17, "udp"],
            ["58", 58, "icmpv6"],
            ["132", 132, "sctp"],
            ["262", 262, "mptcp"],
            // names from glibc's IPPROTO_* list, as libapparmor's table (af_protos.h)
            ["0", 0, "ip"],
            ["33", 33, "dccp"],
            ["143", 143, "ethernet"],
            ["59", 59, "none"],
            ["768", 768, undefined],
            ['"routing"', 43, "routing"],
            // a second name of a number reads back to it, the number keeps its first name
            ['"hopopts"', 0, "ip"],
            ["99", 99, undefined],
            ['"tcp"', 6, "tcp"],
        ];
        for (const [p, n, name] of table) {
            const r = net(p);
            assert.deepStrictEqual([r.protocol, r.protocolName], [n, name], p);
        }
    });
    it("the CLI table shows io_uring denials with their peer, and counts the unpack failure", async () => {
        const text = fs.readFileSync(path.join(FIXTURES, "kernel-status-uring-net.log"), "utf8");
        const out = await cli(["-"], text);
        assert.match(out, /uring_override +1 +DENIED +override_creds peer=demo-peer /m);
        assert.match(out, /uring_sqpoll +1 +DENIED +sqpoll /m);
        assert.match(out, /^10 event\(s\) \(7 DENIED, 3 STATUS\), 0 malformed line\(s\)$/m);
        const json = (await cli(["-", "--json"], text))
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.deepStrictEqual(
            json.filter((r) => r.protocol !== undefined).map((r) => [r.protocol, r.protocolName]),
            [
                [58, "icmpv6"],
                [132, "sctp"],
                [99, undefined],
                [6, "tcp"],
            ],
        );
    });
});
