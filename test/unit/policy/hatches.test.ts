/**
 * apparmor-profile-no-escape-hatches over a table of profile texts (parsed with the library's own
 * parser), its allow-list and options, and the docker-default-derived rules.
 */
import * as assert from "assert";
import { findEscapeHatches, isDockerDefaultDerived, noEscapeHatches } from "../../../src/policy";
import {
    dockerDefaultModel,
    parseProfile,
    parseRule,
    renderProfile,
    type FileRule,
    type PolicyDocument,
    type Profile,
    type ProfileItem,
} from "../../../src/profile";
import { isUnknownValueError, runResourcePolicy, UNKNOWN_STRING } from "./harness";
import { profile } from "./stacks";

/** A plain (not docker-default-derived) profile `web` with `body`, and a preamble. */
const plain = (body: string, preamble = "", flags = "attach_disconnected") =>
    `${preamble}\nprofile web flags=(${flags}) {\n${body}\n}\n`;

/** docker-default for `web`, its rules filtered by `keep`, plus `extra` rules (as text). */
function dd(
    extra: string[] = [],
    keep: (r: ProfileItem) => boolean = () => true,
    opts: { comments?: boolean; tunables?: boolean } = {},
): string {
    const doc = dockerDefaultModel({
        name: "web",
        comments: opts.comments ?? true,
        tunables: opts.tunables,
    });
    const items = doc.items.map((i) =>
        i.kind === "profile"
            ? ({ ...i, rules: [...i.rules.filter(keep), ...extra.map(parseRule)] } as Profile)
            : i,
    );
    return renderProfile({ kind: "document", items } as PolicyDocument);
}
const notPath =
    (pred: (p: string) => boolean) =>
    (r: ProfileItem): boolean =>
        !(r.kind === "file" && (r as FileRule).deny && pred((r as FileRule).path ?? ""));

/** moby's five `/sys/… wklx` denies (the others are rwklx). */
const SYS_WKLX = [
    "/sys/[^f]*/**",
    "/sys/f[^s]*/**",
    "/sys/fs/[^c]*/**",
    "/sys/fs/c[^g]*/**",
    "/sys/fs/cg[^r]*/**",
];

const hostProfile = (text: string) =>
    profile("secure", "web", { vm: "root@10.0.0.5:22" }, { text });

async function checksOf(text: string, config: object = {}): Promise<string[]> {
    const all = hostProfile(text);
    const v = await runResourcePolicy(noEscapeHatches, all[1], config, {}, all);
    return v.map((x) => /\[([a-z-]+)\]\nFix:/.exec(x.message)?.[1] ?? `?${x.message}`).sort();
}

const x = (check: string, n = 1) => Array<string>(n).fill(check);

describe("policy: apparmor-profile-no-escape-hatches", () => {
    // [label, profile text, policy config, expected finding checks (sorted)]
    const table: [string, string, object, string[]][] = [
        ["empty profile", plain(""), {}, []],
        ["inherit exec", plain("/bin/sh ix,"), {}, []],
        ["discrete profile exec", plain("/bin/sh px -> other,"), {}, []],
        ["Px", plain("/bin/sh Px,"), {}, []],
        ["child profile exec", plain("/bin/sh cx -> c,\nprofile c { /bin/sh r, }"), {}, []],
        ["ux", plain("/bin/x ux,"), {}, x("unconfined-exec")],
        ["Ux", plain("/bin/x Ux,"), {}, x("unconfined-exec")],
        ["pux", plain("/bin/x pux,"), {}, x("unconfined-exec")],
        ["PUx", plain("/bin/x PUx,"), {}, x("unconfined-exec")],
        ["cux", plain("/bin/x cux -> c,"), {}, x("unconfined-exec")],
        ["CUx", plain("/bin/x CUx -> c,"), {}, x("unconfined-exec")],
        ["rUx (with read)", plain("/bin/x rUx,"), {}, x("unconfined-exec")],
        ["audit ux", plain("audit /bin/x ux,"), {}, x("unconfined-exec")],
        ["owner ux", plain("owner /bin/x ux,"), {}, x("unconfined-exec")],
        ["deny x is fine", plain("deny /bin/x x,"), {}, []],
        [
            "bare change_profile (to any profile)",
            plain("change_profile,"),
            {},
            x("change-profile-unconfined"),
        ],
        [
            "change_profile -> unconfined",
            plain("change_profile -> unconfined,"),
            {},
            x("change-profile-unconfined"),
        ],
        [
            "change_profile -> **",
            plain("change_profile -> **,"),
            {},
            x("change-profile-unconfined"),
        ],
        ["change_profile -> *", plain("change_profile -> *,"), {}, x("change-profile-unconfined")],
        [
            "change_profile -> u*",
            plain("change_profile -> u*,"),
            {},
            x("change-profile-unconfined"),
        ],
        [
            "change_profile -> {a,unconfined}",
            plain("change_profile -> {a,unconfined},"),
            {},
            x("change-profile-unconfined"),
        ],
        ["change_profile -> web-*", plain("change_profile -> web-*,"), {}, []],
        ["change_profile EXEC -> other", plain("change_profile /bin/x -> other,"), {}, []],
        ["deny change_profile", plain("deny change_profile -> unconfined,"), {}, []],
        ["capability sys_admin", plain("capability sys_admin,"), {}, x("capability")],
        ["capability sys_module", plain("capability sys_module,"), {}, x("capability")],
        ["capability sys_ptrace", plain("capability sys_ptrace,"), {}, x("capability")],
        ["capability mac_admin", plain("capability mac_admin,"), {}, x("capability")],
        ["capability mac_override", plain("capability mac_override,"), {}, x("capability")],
        ["harmless capabilities", plain("capability chown dac_override net_bind_service,"), {}, []],
        [
            "two dangerous in one rule",
            plain("capability sys_admin sys_module,"),
            {},
            x("capability", 2),
        ],
        ["granted then denied", plain("capability sys_admin,\ndeny capability sys_admin,"), {}, []],
        [
            "denied by a bare deny capability",
            plain("capability sys_admin,\ndeny capability,"),
            {},
            [],
        ],
        ["bare capability (docker's model)", plain("capability,"), {}, []],
        [
            "bare capability, bareCapabilityGrantsAll",
            plain("capability,"),
            { bareCapabilityGrantsAll: true },
            x("capability", 5),
        ],
        [
            "bare capability minus a deny, strict",
            plain("capability,\ndeny capability sys_admin,"),
            { bareCapabilityGrantsAll: true },
            x("capability", 4),
        ],
        [
            "custom dangerousCapabilities",
            plain("capability net_admin sys_admin,"),
            { dangerousCapabilities: ["net_admin"] },
            x("capability"),
        ],
        ["audit capability sys_admin", plain("audit capability sys_admin,"), {}, x("capability")],
        ["mount", plain("mount,"), {}, x("mount")],
        ["mount fstype=tmpfs", plain("mount fstype=tmpfs -> /tmp/,"), {}, x("mount")],
        ["remount", plain("remount /,"), {}, x("mount")],
        ["pivot_root", plain("pivot_root,"), {}, x("mount")],
        ["deny mount", plain("deny mount,"), {}, []],
        ["umount is not a mount grant", plain("umount,"), {}, []],
        ["write /proc/sysrq-trigger", plain("/proc/sysrq-trigger w,"), {}, x("kernel-write")],
        ["@{PROC}/sysrq-trigger rw", plain("@{PROC}/sysrq-trigger rw,"), {}, x("kernel-write")],
        ["write core_pattern", plain("/proc/sys/kernel/core_pattern w,"), {}, x("kernel-write")],
        ["@{PROC}/sys/** rw", plain("@{PROC}/sys/** rw,"), {}, x("kernel-write")],
        ["/sys/** w", plain("/sys/** w,"), {}, x("kernel-write")],
        ["@{sys}/kernel/x append", plain("@{sys}/kernel/x a,"), {}, x("kernel-write")],
        ["owner /sys/** w (root owns them)", plain("owner /sys/** w,"), {}, x("kernel-write")],
        ["explicit /sys/fs/cgroup write", plain("/sys/fs/cgroup/** w,"), {}, x("kernel-write")],
        ["/sys/** read only", plain("/sys/** r,"), {}, []],
        ["/proc/sys/** read only", plain("/proc/sys/** r,"), {}, []],
        ["broad /proc/** w, nothing denied", plain("/proc/** w,"), {}, x("kernel-write")],
        ["broad /** rw", plain("/** rw,"), {}, x("kernel-write")],
        ["bare file, nothing denied", plain("file,"), {}, x("kernel-write")],
        [
            "bare file, /proc and /sys denied",
            plain("file,\ndeny /proc/** w,\ndeny /sys/** w,"),
            {},
            [],
        ],
        [
            "bare file, owner denies only",
            plain("file,\ndeny owner /proc/** w,\ndeny owner /sys/** w,"),
            {},
            x("kernel-write"),
        ],
        ["bare file, only /sys denied", plain("file,\ndeny /sys/** w,"), {}, x("kernel-write")],
        ["glob reaching /proc/sys", plain("/proc/s*/** w,"), {}, x("kernel-write")],
        ["alternation reaching /proc", plain("/{proc,srv}/** w,"), {}, x("kernel-write")],
        ["/tmp writes", plain("/tmp/** rw,"), {}, []],
        ["/proc/*/attr/current", plain("/proc/*/attr/current w,"), {}, []],
        ["@{HOME}/** rw (tunables)", plain("@{HOME}/** rw,"), {}, []],
        ["unknown variable could be anything", plain("@{UNKNOWN}/** w,"), {}, x("kernel-write")],
        ["variable defined as /sys/", plain("@{X}/** w,", "@{X}=/sys/"), {}, x("kernel-write")],
        ["variable defined as /srv/", plain("@{X}/** w,", "@{X}=/srv/"), {}, []],
        [
            "variable extended with /sys/",
            plain("@{X}/** w,", "@{X}=/srv/\n@{X}+=/sys/"),
            {},
            x("kernel-write"),
        ],
        ["flags=(unconfined)", plain("", "", "unconfined"), {}, x("unconfined-profile")],
        ["AppArmor 4 all rule", plain("all,"), {}, x("unconfined-profile")],
        ["AppArmor 4 audit allow all", plain("audit allow all,"), {}, x("unconfined-profile")],
        ["AppArmor 4 deny all is no hatch", plain("deny all,"), {}, []],
        ["AppArmor 4 userns rule", plain("userns,"), {}, []],
        ["ux in a hat", plain("^hat {\n/bin/x ux,\n}"), {}, x("unconfined-exec")],
        [
            "sys_admin in a child profile",
            plain("profile child {\ncapability sys_admin,\n}"),
            {},
            x("capability"),
        ],
        [
            "ux inside an if block",
            plain("if ${X} {\n/bin/x ux,\n}", "$X = true"),
            {},
            x("unconfined-exec"),
        ],
        [
            "sys_admin in an else block",
            plain("if ${X} {\n} else {\ncapability sys_admin,\n}", "$X = true"),
            {},
            x("capability"),
        ],
        ["ux inside an audit block", plain("audit {\n/bin/x ux,\n}"), {}, x("unconfined-exec")],
        [
            "a deny block denies",
            plain("capability sys_admin,\ndeny {\ncapability sys_admin,\n}"),
            {},
            [],
        ],
        [
            "an owner block still writes /sys",
            plain("owner {\n/sys/** w,\n}"),
            {},
            x("kernel-write"),
        ],
        [
            "an unreadable block is reported",
            plain("if ${X} {\n/bin/x qq,\n}", "$X = true"),
            {},
            x("unchecked-raw"),
        ],
        ["docker-default", dd(), {}, []],
        [
            "the seed: docker-default + audit deny /tmp/a + deny capability fsetid",
            dd(["audit deny /tmp/a/** rwlx,", "deny capability fsetid,"]),
            {},
            [],
        ],
        ["docker-default without comments", dd([], () => true, { comments: false }), {}, []],
        ["docker-default without tunables", dd([], () => true, { tunables: false }), {}, []],
        [
            "docker-default, moby denies audited",
            dd().replace(/^(\s*)deny /gm, "$1audit deny "),
            {},
            [],
        ],
        [
            "dropped @{PROC}/sys/[^k]** w",
            dd(
                [],
                notPath((p) => p === "@{PROC}/sys/[^k]**"),
            ),
            {},
            ["kernel-write", "moby-deny"],
        ],
        [
            "dropped every /sys deny",
            dd(
                [],
                notPath((p) => p.startsWith("/sys/")),
            ),
            {},
            ["kernel-write", ...x("moby-deny", 8)],
        ],
        [
            "the /sys wklx denies replaced by deny /sys/** wklx",
            dd(
                ["deny /sys/** wklx,"],
                notPath((p) => SYS_WKLX.includes(p)),
            ),
            {},
            [],
        ],
        [
            "replaced by a deny without x",
            dd(
                ["deny /sys/** wkl,"],
                notPath((p) => SYS_WKLX.includes(p)),
            ),
            {},
            x("moby-deny", 5),
        ],
        [
            "moby denies turned owner-only",
            dd([], () => true).replace("deny @{PROC}/* w,", "deny owner @{PROC}/* w,"),
            {},
            x("moby-deny"),
        ],
        [
            "docker-default + /sys/kernel/security write",
            dd(["/sys/kernel/security/** w,"]),
            {},
            x("kernel-write"),
        ],
        ["docker-default + sys_admin", dd(["capability sys_admin,"]), {}, x("capability")],
        ["docker-default + mount", dd(["mount,"]), {}, x("mount")],
        ["docker-default + ux helper", dd(["/usr/bin/helper ux,"]), {}, x("unconfined-exec")],
        [
            "docker-default, bareCapabilityGrantsAll",
            dd(),
            { bareCapabilityGrantsAll: true },
            x("capability", 5),
        ],
        [
            "not derived: no moby-deny without docker-default signs",
            plain("file,\ndeny /proc/** w,\ndeny /sys/** w,"),
            {},
            [],
        ],
        [
            "derived by its comment only",
            plain("# based on docker-default\nfile,\ndeny /proc/** w,\ndeny /sys/** w,"),
            {},
            x("moby-deny", 10),
        ],
        [
            "allow-listed exec path",
            plain("/bin/x ux,"),
            { allow: [{ check: "unconfined-exec", match: "/bin/x" }] },
            [],
        ],
        [
            "allow-listed exec glob",
            plain("/bin/x ux,"),
            { allow: [{ check: "unconfined-exec", match: "/bin/*" }] },
            [],
        ],
        [
            "allow-list glob that does not match",
            plain("/bin/x ux,"),
            { allow: [{ check: "unconfined-exec", match: "/usr/*" }] },
            x("unconfined-exec"),
        ],
        [
            "allow-list of another check",
            plain("/bin/x ux,"),
            { allow: [{ check: "mount" }] },
            x("unconfined-exec"),
        ],
        [
            "allow-list for this profile",
            plain("/bin/x ux,"),
            { allow: [{ check: "unconfined-exec", profile: "web" }] },
            [],
        ],
        [
            "allow-list for another profile",
            plain("/bin/x ux,"),
            { allow: [{ check: "unconfined-exec", profile: "db" }] },
            x("unconfined-exec"),
        ],
        [
            "allow-list for hats",
            plain("^hat {\n/bin/x ux,\n}"),
            { allow: [{ check: "unconfined-exec", profile: "web//*" }] },
            [],
        ],
        [
            "allow-list one capability",
            plain("capability sys_admin sys_ptrace,"),
            { allow: [{ check: "capability", match: "sys_ptrace" }] },
            x("capability"),
        ],
        [
            "allow-list mount",
            plain("mount fstype=tmpfs -> /tmp/,"),
            { allow: [{ check: "mount" }] },
            [],
        ],
        [
            "allow-list mount by rule text",
            plain("mount fstype=tmpfs -> /tmp/,"),
            { allow: [{ check: "mount", match: "mount fstype=tmpfs *" }] },
            [],
        ],
        [
            "allow-list a kernel write path",
            plain("/sys/fs/cgroup/** w,"),
            { allow: [{ check: "kernel-write", match: "/sys/fs/cgroup/**" }] },
            [],
        ],
        [
            "allow-list a moby deny",
            dd(
                [],
                notPath((p) => p === "@{PROC}/kcore"),
            ),
            { allow: [{ check: "moby-deny", match: "@{PROC}/kcore" }] },
            [],
        ],
        [
            "allow-list change_profile to any",
            plain("change_profile,"),
            { allow: [{ check: "change-profile-unconfined" }] },
            [],
        ],
    ];
    for (const [label, text, config, want] of table) {
        it(label, async () =>
            assert.deepStrictEqual(await checksOf(text, config), [...want].sort()),
        );
    }

    it("names the Profile, the AppArmor profile, the host, the rule, the fix and the allow-list entry", async () => {
        const all = hostProfile(plain("^hat {\n/bin/x ux,\n}"));
        const [v] = await runResourcePolicy(noEscapeHatches, all[1], {}, {}, all);
        assert.strictEqual(
            v.message,
            'Profile "secure" (AppArmor profile "web", host "vm"), profile "web//hat": `/bin/x ux,` ' +
                "runs /bin/x unconfined (exec mode ux): whatever it does is outside the profile [unconfined-exec]\n" +
                "Fix: use ix (inherit this profile), or px/cx to a confined profile without the unconfined " +
                'fallback; or allow-list it in this policy\'s config: "allow": ' +
                '[{"check":"unconfined-exec","match":"/bin/x","profile":"web//hat"}]',
        );
    });

    it("names every uncovered kernel file of a broad grant (first three)", async () => {
        const f = findEscapeHatches(parseProfile(plain("file,")));
        assert.strictEqual(f.length, 1);
        assert.match(
            f[0].message,
            /^`file,` allows writing \/proc\/sysrq-trigger, \/proc\/sys\/kernel\/core_pattern, \/proc\/sys\/kernel\/modprobe and 13 more kernel files, and no deny rule covers them$/,
        );
    });

    it("reports text it cannot parse", async () => {
        const all = hostProfile("profile web { /bin/x qq, }");
        const v = await runResourcePolicy(noEscapeHatches, all[1], {}, {}, all);
        assert.strictEqual(v.length, 1);
        assert.match(
            v[0].message,
            /its profile text cannot be parsed \(line 1, column \d+: .*\), so it was not checked/,
        );
    });

    it("preview with unknown text: @pulumi/policy's UnknownValueError", async () => {
        const all = hostProfile(UNKNOWN_STRING);
        await assert.rejects(runResourcePolicy(noEscapeHatches, all[1], {}, {}, all), (e) =>
            isUnknownValueError(e),
        );
    });

    it("docker-default-derived detection", () => {
        assert.strictEqual(isDockerDefaultDerived(parseProfile(dd())), true);
        assert.strictEqual(
            isDockerDefaultDerived(parseProfile(dd([], () => true, { comments: false }))),
            true,
        );
        assert.strictEqual(isDockerDefaultDerived(parseProfile(plain("file,"))), false);
        assert.strictEqual(
            isDockerDefaultDerived(parseProfile(plain("deny mount,\ndeny network alg,"))),
            true,
        );
        assert.strictEqual(isDockerDefaultDerived(parseProfile(plain("deny mount,"))), false);
    });
});
