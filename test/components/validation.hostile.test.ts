/**
 * Hostile argument values through `Profile`'s validation (what runs at preview, before any host is
 * touched): names, hosts fields, mode, directory, auditDenies, profile model fields and policy texts.
 * Every value must be refused with an error naming the field it came from and a fix, formatted by
 * `argsError` as `apparmor:index:Profile "NAME": invalid arguments: - FIELD: MESSAGE (fix: FIX)`.
 */
import * as assert from "assert";
import { argsError, validateProfileArgs, type ProfileArgs } from "../../src/components/profile";
import {
    capability,
    changeProfile,
    comment,
    dbus,
    file,
    include,
    mount,
    network,
    raw,
    rlimit,
    signal,
    unix,
    variable,
} from "../../src/profile/builders";
import type { PolicyItem, Profile, ProfileItem } from "../../src/profile/model";

const host = { host: "10.0.0.5", privateKey: "k" };
const GOOD = "profile ok flags=(attach_disconnected) {\n  file,\n}\n";
const base = file("/tmp/x", "r");

/** [label, args, the field the error must name (prefix)] */
type Row = [string, Partial<ProfileArgs>, string];
const rows: Row[] = [];
const withText = (a: Partial<ProfileArgs>): Partial<ProfileArgs> => ({ profileText: GOOD, ...a });
const model = (rules: unknown[], extra: Record<string, unknown> = {}): Profile =>
    ({ kind: "profile", name: "ok", ...extra, rules }) as unknown as Profile;
const doc = (pre: unknown[], p: Profile) =>
    ({ kind: "document", items: [...(pre as PolicyItem[]), p] }) as const;

// --- hosts fields ----------------------------------------------------------------------------------
const hostileHosts = [
    "root@h", "-oProxyCommand=x", "h;rm -rf /", "h h", "h\nx", "$(id)", "`id`", "h|x", "h&x",
    "h>x", "h/x", "h:22", "h'x", 'h"x', "h\\x", "-h", "h\0x", "é.example", "a".repeat(300),
    "h\u202ex", "h,x", "*", "h#x", "h\tx", "[h]", "..", ":::", "",
]; // prettier-ignore
for (const h of hostileHosts)
    rows.push([`host ${JSON.stringify(h)}`, withText({ hosts: [{ host: h }] }), "hosts[0].host"]);
for (const p of [0, -1, 65536, 70000, 22.5, NaN, Infinity, 1e10])
    rows.push([`port ${p}`, withText({ hosts: [{ host: "h", port: p }] }), "hosts[0].port"]);
const hostileUsers = [
    "", "$(id)", "a b", "root;id", "-oX", "a\nb", "a'b", "a/b", "a:b", "x".repeat(40), "é", "a@b",
    "`id`", "a|b", "1root",
]; // prettier-ignore
for (const u of hostileUsers)
    rows.push([`user ${JSON.stringify(u)}`, withText({ hosts: [{ host: "h", user: u }] }), "hosts[0].user"]); // prettier-ignore
for (const m of ["kill", "audit", "", "Enforce", "complain;", "unconfined"])
    rows.push([`host mode ${JSON.stringify(m)}`, withText({ hosts: [{ host: "h", mode: m as never }] }), "hosts[0].mode"]); // prettier-ignore
for (const n of ["", "a/b", "a b", "$(x)", "a;b", "x".repeat(101), "a\nb", "é", "a'b"])
    rows.push([`host name ${JSON.stringify(n)}`, withText({ hosts: [{ host: "h", name: n }] }), "hosts[0].name"]); // prettier-ignore
rows.push(["duplicate host", withText({ hosts: [{ host: "h" }, { host: "h" }] }), "hosts[1]"]);
rows.push(["no hosts", withText({ hosts: [] }), "hosts"]);

// --- mode, directory, auditDenies, profileFile ------------------------------------------------------
for (const m of ["kill", "audit", "", "ENFORCE", "enforce ", "complain\n", "unconfined", "prompt"])
    rows.push([`mode ${JSON.stringify(m)}`, withText({ hosts: [host], mode: m as never }), "mode"]);
const hostileDirs = [
    "etc/x", "/etc/a b", "/etc/$(x)", "/etc/x;reboot", "", "/etc/`id`", "/etc/x\n", "/etc/é",
    "/etc/x|y", "/etc/'x'", "/" + "a".repeat(300), "~/x", "/etc/x*",
]; // prettier-ignore
for (const d of hostileDirs)
    rows.push([`directory ${JSON.stringify(d)}`, withText({ hosts: [host], directory: d }), "directory"]); // prettier-ignore
for (const a of ["some", "", "USER", "true", "audit"])
    rows.push([`auditDenies ${JSON.stringify(a)}`, withText({ hosts: [host], auditDenies: a as never }), "auditDenies"]); // prettier-ignore
rows.push(["auditDenies with policy text", withText({ hosts: [host], auditDenies: "all" }), "auditDenies"]); // prettier-ignore
for (const f of ["/nonexistent/profile", "", "/proc/self/nonexistent"])
    rows.push([
        `profileFile ${JSON.stringify(f)}`,
        { hosts: [host], profileFile: f },
        "profileFile",
    ]);
rows.push(["no profile", { hosts: [host] }, "profile"]);

// --- profile model fields ---------------------------------------------------------------------------
const viaModel = (label: string, m: Profile | ReturnType<typeof doc>, field: string): void => {
    rows.push([label, { hosts: [host], profile: m as never }, `profile: ${field}`]);
};
const hostileNames = [
    "a;reboot", "$(reboot)", "a`id`", "a'b", 'a"b', "a\nprofile evil", "a}", "a{", "a,b", "a\0b",
    "a#b", "a\\b", "a\u202eb", "a b", "-rf", "unconfined", ":ns:x", "^hat", "a//b", "",
    "x { capability, } profile y", "/usr/bin/foo", "@{exec_path}", "x".repeat(201), ".hidden",
]; // prettier-ignore
for (const n of hostileNames)
    viaModel(`name ${JSON.stringify(n)}`, model([base], { name: n }), "name");
const hostilePaths = [
    '/tmp/a"b', "/tmp/a\nb", "/tmp/x r,\n  capability sys_admin", "/tmp/x rw, capability sys_admin",
    "/tmp/a}b", "/tmp/a{b", "/tmp/a\0b", "/tmp/a\\", "/tmp/a\\\\", "tmp/relative", "/tmp/\u202eevil",
    "/" + "a".repeat(5000), "/tmp/a\rb", "/tmp/x r, } profile evil { /**", "{/a,/b}/**", "/tmp/{a}",
    "/tmp/[]", "/tmp/[a-]", "@{UNDEFINED}/x", "/tmp/@{", "",
]; // prettier-ignore
for (const p of hostilePaths)
    viaModel(`file path ${JSON.stringify(p).slice(0, 40)}`, model([file(p, "r")]), "rules[0].path");
const hostileLabels = [
    "unconfined) capability,(", "a;b", 'a"', "x,y", "$(id)", "a\n", ":ns:", "::x", "&", "a b",
    "@{UNDEFINED}", "",
]; // prettier-ignore
for (const l of hostileLabels)
    viaModel(`signal peer ${JSON.stringify(l)}`, model([signal({ peer: l })]), "rules[0].peer");
for (const t of ["foo -> bar", "a$b", "a b", ":ns", "&&x"])
    viaModel(
        `exec target ${JSON.stringify(t)}`,
        model([file("/usr/bin/x", "Px", t)]),
        "rules[0].target",
    );
for (const t of [":ns:", "a)", "x,y"])
    viaModel(
        `change_profile target ${JSON.stringify(t)}`,
        model([changeProfile(t)]),
        "rules[0].target",
    );
for (const o of ["ro) -> /, mount options=(rw", "mode=755", "foo", "size=10M", "RO"])
    viaModel(`mount option ${JSON.stringify(o)}`, model([mount({ options: [o] })]), "rules[0].conditions[0].values[0]"); // prettier-ignore
for (const f of [
    "complain) { capability, } profile x flags=(complain",
    "foo",
    "debug",
    "Complain",
    "",
])
    viaModel(`flag ${JSON.stringify(f)}`, model([base], { flags: [f] }), "flags[0]");
viaModel("flags complain + kill", model([base], { flags: ["complain", "kill"] }), "flags");
viaModel("flags mediate/delegate_deleted", model([base], { flags: ["mediate_deleted", "delegate_deleted"] }), "flags"); // prettier-ignore
const hostileIncludes: [string, "angle" | "quoted"][] = [
    ["/run/systemd/inaccessible/fifo", "quoted"], ["/etc/shadow", "quoted"], ["/dev/zero", "quoted"],
    ["abstractions/base", "quoted"], ["../../etc/passwd", "angle"], ["abstractions/../../../etc/shadow", "angle"],
    ["/etc/apparmor.d/abstractions/base", "angle"], ["tunables/global", "angle"], ["etc/passwd", "angle"],
    ["abstractions/base>\nprofile", "angle"], ['local/"x', "quoted"], ["abstractions", "angle"],
]; // prettier-ignore
for (const [p, form] of hostileIncludes) {
    viaModel(
        `include ${form} ${JSON.stringify(p)}`,
        model([base, include(p, { form })]),
        "rules[1].path",
    );
    viaModel(`include if exists ${form} ${JSON.stringify(p)}`, model([base, include(p, { form, ifExists: true })]), "rules[1].path"); // prettier-ignore
}
viaModel("abstractions without tunables/global", model([base, include("abstractions/base")]), "rules[1].path"); // prettier-ignore
viaModel("abi quoted", doc([{ kind: "abi", path: "/etc/passwd", form: "quoted" }], model([base])), "items[0].path"); // prettier-ignore
viaModel("attachment", model([base], { attachment: "/**" }), "attachment");
viaModel("xattrs", model([base], { xattrs: [{ key: "user.x", value: "y" }] }), "xattrs");
for (const c of ["sys_admin,dac_override", "CAP_SYS_ADMIN", "sys_admin ;", "all", ""])
    viaModel(`capability ${JSON.stringify(c)}`, model([capability(c)]), "rules[0].capabilities[0]");
viaModel("network injected rule", model([network("inet, capability")]), "rules[0].domain");
viaModel("network unix tcp", model([network("unix", undefined, "tcp")]), "rules[0].protocol");
for (const [r, v] of [
    ["nofile", "10MB"],
    ["cpu", "-5"],
    ["nice", "25"],
    ["cpu", "5ms"],
    ["fsize", "1 024"],
])
    viaModel(`rlimit ${r} <= ${v}`, model([rlimit(r, v)]), "rules[0].value");
viaModel("dbus comma in member", model([dbus({ member: "Foo,bar" })]), "rules[0].member");
viaModel("dbus bind with path", model([dbus({ access: ["bind"], path: "/org/x" })]), "rules[0].access"); // prettier-ignore
viaModel("unix paren in addr", model([unix({ addr: "@evil)" })]), "rules[0].addr");
viaModel("unix path addr", model([unix({ addr: "/tmp/sock" })]), "rules[0].addr");
viaModel("unix protocol", model([unix({ protocol: "tcp" })]), "rules[0].protocol");
viaModel("unix create with peer", model([unix({ access: ["create"], peer: { label: "x" } })]), "rules[0].access"); // prettier-ignore
const hostileRaw = [
    "capability,\n}\nprofile evil {\n  capability,", "} profile evil { capability,", '/tmp/x "r,',
    "capability sys_admin", "capability,\0", "#include <x> } profile evil {", "capability foo,",
    "garbage here,", '#include "/etc/shadow"', "/tmp/@{UNDEFINED} r,", "mount options=(foo) -> /mnt,",
]; // prettier-ignore
for (const r of hostileRaw)
    viaModel(`raw ${JSON.stringify(r).slice(0, 40)}`, model([base, raw(r)]), "rules[1].text");
for (const c of [" hi\n  capability sys_admin,", " \r capability,", " \u2028capability,"])
    viaModel(`comment ${JSON.stringify(c)}`, model([base, comment(c)]), "rules[1].text");
viaModel("comment read as #include", model([base, { kind: "comment", text: "include <x>" }]), "rules[1].text"); // prettier-ignore
viaModel("variable newline", doc([variable("X", ["/a\n@{Y}=/b"])], model([file("@{X}/**", "r")])), "items[0].values[0]"); // prettier-ignore
viaModel("variable name", doc([variable("X}=/ @{Y", ["/a"])], model([base])), "items[0].name");
viaModel("variable declared twice", doc([variable("X", ["/a"]), variable("X", ["/b"])], model([file("@{X}/x", "r")])), "items[1].name"); // prettier-ignore
viaModel("variable appended undeclared", doc([variable("X", ["/a"], { append: true })], model([file("@{X}/x", "r")])), "items[0].op"); // prettier-ignore
viaModel("hat with brace", model([{ kind: "profile", name: "evil{", hat: true, rules: [base] } as ProfileItem]), "rules[0].name"); // prettier-ignore
viaModel("deny file, bare", model([base, { kind: "file", deny: true, access: [] }]), "rules[1].deny"); // prettier-ignore
viaModel("owner capability", model([{ kind: "capability", owner: true, capabilities: [] } as never]), "rules[0].owner"); // prettier-ignore

// --- policy texts -----------------------------------------------------------------------------------
const hostileTexts: [string, string][] = [
    ["quoted header", 'profile "web" {\n  /tmp/x r,\n}\n'],
    ["brace on the next line", "profile web\n{\n  /tmp/x r,\n}\n"],
    ["flags on the next line", "profile web\n  flags=(complain) {\n  /tmp/x r,\n}\n"],
    ["flags split over lines", "profile web flags=(complain,\n  attach_disconnected) {\n  /tmp/x r,\n}\n"],
    ["flags = with spaces", "profile web flags = (complain) {\n  /tmp/x r,\n}\n"],
    ["attachment", "profile web /** {\n  /tmp/x r,\n}\n"],
    ["xattrs", "profile web xattrs=(user.x=y) {\n  /tmp/x r,\n}\n"],
    ["keyword-less header", "/usr/bin/web {\n  /tmp/x r,\n}\n"],
    ["FIFO include", 'profile web {\n  include "/run/systemd/inaccessible/fifo"\n}\n'],
    ["shadow include", 'profile web {\n  #include "/etc/shadow"\n  /tmp/x r,\n}\n'],
    ["absolute angle include", "profile web {\n  include </etc/passwd>\n}\n"],
    ["undefined variable", "profile web {\n  @{HOME}/x r,\n}\n"],
    ["unknown flag", "profile web flags=(foo) {\n  /tmp/x r,\n}\n"],
    ["unknown mount option", "profile web {\n  mount options=(mode=755) -> /mnt/,\n}\n"],
    ["two profiles", "profile a { file, }\nprofile b { file, }\n"],
    ["no profile", "abi <abi/3.0>,\n"],
    ["unparsable", "profile x {\n  bogus stuff here\n"],
    ["name with ;", 'profile "a;b" { file, }\n'],
    ["name with $(…)", 'profile "$(reboot)" { file, }\n'],
    ["bad capability", "profile a { capability frobnicate, }\n"],
    ["bad permission", "profile a { /x rwz, }\n"],
    ["rlimit unit", "profile a {\n  set rlimit nofile <= 10MB,\n}\n"],
    ["duplicate hats", "profile a {\n  ^h { /x r, }\n  ^h { /y r, }\n}\n"],
    ["unix label", "profile a {\n  unix (send) label=foo,\n}\n"],
    ["network unix tcp", "profile a {\n  network unix tcp,\n}\n"],
]; // prettier-ignore
for (const [label, text] of hostileTexts)
    rows.push([`text: ${label}`, { hosts: [host], profileText: text }, "profileText"]);

describe("components: hostile argument values are refused with field and fix", () => {
    it(`has at least 200 hostile values (${rows.length})`, () => {
        assert.ok(rows.length >= 200, `only ${rows.length}`);
    });

    for (const [label, args, field] of rows) {
        it(`${label.slice(0, 90)} → ${field}`, () => {
            const problems = validateProfileArgs(args as ProfileArgs);
            assert.ok(problems.length > 0, `accepted: ${label}`);
            const named = problems.filter(
                (p) => p.field === field || p.field.startsWith(`${field}`),
            );
            assert.ok(
                named.length > 0,
                `no problem names ${field}:\n${problems.map((p) => `${p.field}: ${p.message}`).join("\n")}`,
            );
            for (const p of problems)
                assert.ok(p.fix.length > 3, `no fix for ${p.field}: ${p.message}`);
            const msg = argsError("apparmor:index:Profile", "web", problems).message;
            assert.match(msg, /^apparmor:index:Profile "web": invalid arguments:\n {2}- /);
            assert.ok(msg.includes(`  - ${named[0].field}: `) && msg.includes("(fix: "), msg);
            // control characters never reach the message as they are (no forged lines)
            assert.ok(!/[\0\r\u202e]/.test(msg), JSON.stringify(msg));
        });
    }
});
