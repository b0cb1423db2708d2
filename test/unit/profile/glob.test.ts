/** AppArmor globs as regexes (src/profile/glob.ts): the kernel's matching rules in a table. */
import * as assert from "assert";
import {
    compileGlob,
    documentVariables,
    expandVariables,
    globMatches,
    literalPrefix,
    parseProfile,
} from "../../../src/profile";

describe("profile: AppArmor globs", () => {
    // [pattern, path, matches]
    const table: [string, string, boolean][] = [
        ["/etc/passwd", "/etc/passwd", true],
        ["/etc/passwd", "/etc/passwd2", false],
        ["/tmp/*", "/tmp/a", true],
        ["/tmp/*", "/tmp/a/b", false],
        ["/tmp/*", "/tmp/", false],
        ["/tmp/**", "/tmp/a/b/c", true],
        ["/tmp/**", "/tmp/", false],
        ["/tmp/**", "/tmp/a", true],
        ["/tmp/a*", "/tmp/a", true],
        ["/tmp/a**", "/tmp/a", true],
        ["/tmp/a**", "/tmp/ab/c", true],
        ["/tmp/?", "/tmp/a", true],
        ["/tmp/?", "/tmp/ab", false],
        ["/tmp/?", "/tmp//", false],
        ["/tmp/[ab]", "/tmp/b", true],
        ["/tmp/[ab]", "/tmp/c", false],
        ["/tmp/[a-c]x", "/tmp/bx", true],
        ["/tmp/[^a]x", "/tmp/bx", true],
        ["/tmp/[^a]x", "/tmp/ax", false],
        ["/{usr,opt}/bin/x", "/opt/bin/x", true],
        ["/{usr,opt}/bin/x", "/srv/bin/x", false],
        ["/a{,b}", "/a", true],
        ["/a{,b}", "/ab", true],
        ["/{a,{b,c}}/x", "/c/x", true],
        ["/x/{*,**/y}", "/x/q/r/y", true],
        ["/a\\*b", "/a*b", true],
        ["/a\\*b", "/axb", false],
        ["/a.b", "/axb", false],
        ["/a+b", "/a+b", true],
        ["@{PROC}/sysrq-trigger", "/proc/sysrq-trigger", true],
        ["@{PROC}/*", "/proc/sysrq-trigger", true],
        ["@{PROC}/*", "/proc/sys/kernel", false],
        ["@{PROC}/sys/[^k]**", "/proc/sys/vm/drop_caches", true],
        ["@{PROC}/sys/[^k]**", "/proc/sys/kernel/shmmax", false],
        ["@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", "/proc/sys/kernel/core_pattern", true],
        ["@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", "/proc/sys/kernel/shmmax", false],
        ["/sys/[^f]*/**", "/sys/kernel/uevent_helper", true],
        ["/sys/[^f]*/**", "/sys/fs/cgroup/x", false],
        ["/sys/fs/cg[^r]*/**", "/sys/fs/cgroup/x", false],
        ["@{sys}/**", "/sys/x", true],
        ["@{HOME}/.ssh/*", "/home/alice/.ssh/id", true],
        ["@{HOME}/.ssh/*", "/root/.ssh/id", true],
        ["@{HOME}/.ssh/*", "/srv/.ssh/id", false],
        ["@{PROC}/@{pid}/attr/current", "/proc/123/attr/current", true],
        ["@{PROC}/@{pid}/attr/current", "/proc/self/attr/current", false],
        ["@{run}/docker.sock", "/var/run/docker.sock", true],
        ["@{NOPE}/x", "/anything/at/all/x", true],
        ["/proc//sys/**", "/proc/sys/x", true],
        ["/**", "/", false],
        ["/**", "/a", true],
    ];
    for (const [pattern, path, want] of table)
        it(`${pattern} ${want ? "matches" : "does not match"} ${path}`, () =>
            assert.strictEqual(globMatches(pattern, path), want));

    it("variables from the document, = replacing and += extending", () => {
        const doc = parseProfile("@{A}=/a/ /b/\n@{A}+=/c/\n@{PROC}=/p/\nprofile x {\n}\n");
        const vars = documentVariables(doc);
        assert.deepStrictEqual(vars.A, ["/a/", "/b/", "/c/"]);
        assert.deepStrictEqual(vars.PROC, ["/p/"]);
        assert.deepStrictEqual(expandVariables("@{A}x", vars).sort(), ["/a/x", "/b/x", "/c/x"]);
        assert.strictEqual(compileGlob("@{PROC}/x", vars).matches("/p/x"), true);
        assert.strictEqual(compileGlob("@{PROC}/x", vars).matches("/proc/x"), false);
    });

    it("expansion stops on self-reference and caps the count", () => {
        assert.deepStrictEqual(expandVariables("@{L}", { L: ["@{L}/a"] }), [
            "**/a/a/a/a/a/a/a/a/a",
        ]);
        const many = { A: ["1", "2", "3", "4", "5", "6", "7", "8"] };
        assert.ok(expandVariables("@{A}@{A}@{A}@{A}", many).length <= 256);
    });

    const prefixes: [string, string][] = [
        ["/sys/kernel/**", "/sys/kernel/"],
        ["/proc/sys", "/proc/sys"],
        ["/a\\*b/*", "/a*b/"],
        ["/{a,b}", "/"],
        ["**", ""],
    ];
    for (const [glob, prefix] of prefixes)
        it(`literal prefix of ${glob}`, () => assert.strictEqual(literalPrefix(glob), prefix));
});
