/**
 * A generator of broken and hostile profile texts for one profile name, for the install path's proof
 * (issue #13): each must be refused by the host and change nothing there. The texts start from the
 * profile that is installed (so a refusal cannot be mistaken for "nothing to do") and break it in
 * one way: syntax, names, includes that never end or read secrets, header tricks, NUL bytes, sizes.
 *
 * Some cases need files on the host: {@link HOSTILE_SETUP} creates them (as root), {@link
 * HOSTILE_TEARDOWN} removes them.
 */

export interface HostileCase {
    readonly category: "syntax" | "name" | "include" | "header" | "nul" | "size";
    readonly title: string;
    readonly text: string;
    /** The mode install is asked for (the components send enforce or complain). */
    readonly mode: "enforce" | "complain" | "keep";
    /** Error codes the host may answer with (any of them is a refusal as designed). */
    readonly codes: readonly string[];
}

/** Root-only secret whose content must never appear in an answer. */
export const SECRET_FILE = "/root/pa-hostile-secret";
export const SECRET_MARKER = "PaHostileSecretMarker4711";

const LOCAL = "/etc/apparmor.d/local";

/** Shell (as root) creating the host files the cases use. */
export const HOSTILE_SETUP = [
    `umask 077; printf '%s\\n' '${SECRET_MARKER}: not a rule' > ${SECRET_FILE}`,
    `printf -- '-----BEGIN ${SECRET_MARKER}-----\\n' >> ${SECRET_FILE}`,
    `umask 022; rm -rf ${LOCAL}/pa-hostile-*`,
    `mkfifo -m 600 ${LOCAL}/pa-hostile-fifo /tmp/pa-hostile-fifo`,
    // A directory include reads the regular files in it (it skips a FIFO): one that includes a FIFO.
    `mkdir ${LOCAL}/pa-hostile-dird && printf '%s\\n' 'include "/tmp/pa-hostile-fifo"' > ${LOCAL}/pa-hostile-dird/f`,
    `ln -s /run/systemd/inaccessible/fifo ${LOCAL}/pa-hostile-link`,
    `ln -s ${SECRET_FILE} ${LOCAL}/pa-hostile-secret-link`,
    `printf 'profile pa-hostile-included {\\n  file,\\n}\\n' > /tmp/pa-hostile-other`,
].join(" && ");

export const HOSTILE_TEARDOWN = `rm -rf ${SECRET_FILE} ${LOCAL}/pa-hostile-* /tmp/pa-hostile-fifo /tmp/pa-hostile-other; true`;

/** `base` with `rule` added as the profile's last line. */
function withRule(base: string, rule: string): string {
    return base.replace(/}\n$/, `  ${rule}\n}\n`);
}

/** The cases for profile `name` whose installed (good) text is `base`. */
export function hostileProfiles(name: string, base: string): HostileCase[] {
    const out: HostileCase[] = [];
    const add = (
        category: HostileCase["category"],
        title: string,
        text: string,
        codes: string[],
        mode: HostileCase["mode"] = "enforce",
    ) => out.push({ category, title, text, mode, codes });
    const parse = ["parse-failed"];
    const header = base.split("\n").find((l) => l.startsWith(`profile ${name} `))!;
    const body = base.slice(base.indexOf(header) + header.length + 1);
    const prelude = base.slice(0, base.indexOf(header));

    // Syntax errors: apparmor_parser -Q rejects them.
    const rules: [string, string][] = [
        ["unknown capability", "capability frobnicate,"],
        ["bad permission letter", "/tmp/x rwz,"],
        ["rule without comma", "/tmp/x rw"],
        ["unterminated quote", '"/tmp/x rw,'],
        ["unknown keyword", "frobnicate /x,"],
        ["bad network family", "network frobnicate,"],
        ["unclosed alternation", "/tmp/{a,b rw,"],
        ["undefined variable", "@{PA_NOPE}/x r,"],
        ["bad rlimit", "set rlimit nofile <= frob,"],
        ["bad mount option", "mount options=(frobnicate) -> /mnt/,"],
        ["bad signal", "signal (send) set=(nosuchsignal),"],
        ["bad ptrace access", "ptrace (frobnicate),"],
        ["bad file owner keyword", "owner owner owner /x r,"],
        ["stray closing brace", "}"],
        ["nested open brace", "{"],
    ];
    for (const [title, rule] of rules) add("syntax", title, withRule(base, rule), parse);
    add("syntax", "missing closing brace", base.replace(/}\n$/, ""), parse);
    add("syntax", "bad flags", `${prelude}profile ${name} flags=(frobnicate) {\n${body}`, parse);
    add("syntax", "unknown ABI", `abi <abi/9.9>,\n${base}`, parse);
    add("syntax", "missing abstraction", withRule(base, "include <abstractions/pa-nope>"), parse);
    add("syntax", "defined twice", `${base}${base}`, parse);
    add("syntax", "high bytes", `\u00ff\u00fe\u0080${base}`, parse);

    // Names: exactly one top-level profile named NAME, or nothing happens.
    const other = base.split(`profile ${name} `).join("profile pa-hostile-other ");
    add("name", "another name", other, ["no-header"]);
    add("name", "another name, mode keep", other, ["wrong-name"], "keep");
    add("name", "a second profile", `${base}profile pa-hostile-second {\n  file,\n}\n`, [
        "wrong-name",
    ]);
    add("name", "replaces docker-default too", `${base}profile docker-default {\n  file,\n}\n`, [
        "wrong-name",
    ]);
    add(
        "name",
        "two profiles on the header line",
        base.replace(header, `profile pa-hostile-x { } ${header}`),
        ["wrong-name", "no-header"],
    );
    add(
        "name",
        "a longer name",
        base.split(`profile ${name} `).join(`profile ${name}-x `),
        ["wrong-name"],
        "keep",
    );
    add(
        "name",
        "upper case",
        base.split(`profile ${name} `).join(`profile ${name.toUpperCase()} `),
        ["wrong-name"],
        "keep",
    );
    add(
        "name",
        "look-alike letter",
        base.split(`profile ${name} `).join(`profile ${name.replace("a", "\u0430")} `),
        ["wrong-name", "parse-failed"],
        "keep",
    );
    add(
        "name",
        "only as a hat",
        `profile pa-hostile-parent {\n  ^${name} {\n    file,\n  }\n}\n`,
        ["wrong-name"],
        "keep",
    );
    add(
        "name",
        "a namespace",
        base.split(`profile ${name} `).join(`profile :pa-hostile-ns:${name} `),
        ["wrong-name", "parse-failed"],
        "keep",
    );
    add("name", "profile from an included file", `${base}include "/tmp/pa-hostile-other"\n`, [
        "wrong-name",
    ]);

    // Includes: files that never end, secrets, devices, loops.
    for (const [title, inc] of [
        ["systemd's FIFO", 'include "/run/systemd/inaccessible/fifo"'],
        ["a FIFO under local/", "include <local/pa-hostile-fifo>"],
        ["if exists, a FIFO", "include if exists <local/pa-hostile-fifo>"],
        ["a FIFO in /tmp", 'include "/tmp/pa-hostile-fifo"'],
        ["a directory whose file includes a FIFO", "include <local/pa-hostile-dird>"],
        ["a symlink to a FIFO", "include <local/pa-hostile-link>"],
    ])
        add("include", title, withRule(base, inc), ["parse-timeout"]);
    for (const [title, inc] of [
        ["/etc/shadow", 'include "/etc/shadow"'],
        ["a root-only secret", `include "${SECRET_FILE}"`],
        ["a symlink to the secret", "include <local/pa-hostile-secret-link>"],
        ["the host key", 'include "/etc/ssh/ssh_host_ed25519_key"'],
        ["/proc/self/environ", 'include "/proc/self/environ"'],
        ["a device without permissions", 'include "/run/systemd/inaccessible/chr"'],
        ["a path with ..", 'include "/etc/apparmor.d/local/../../shadow"'],
        ["a missing absolute path", 'include "/nonexistent/pa-hostile"'],
    ])
        add("include", title, withRule(base, inc), parse);
    add("include", "the secret at top level", `include "${SECRET_FILE}"\n${base}`, parse);

    // Header tricks: install rewrites only the `profile NAME … {` header of NAME.
    add("header", "header in a comment", `# profile ${name} {\n${other}`, ["no-header"]);
    add(
        "header",
        "quoted header",
        base.replace(header, header.replace(`profile ${name}`, `profile "${name}"`)),
        ["no-header"],
    );
    add("header", "header split over two lines", base.replace(header, `profile ${name}\n{`), [
        "no-header",
    ]);
    add("header", "attachment", base.replace(header, `profile ${name} /usr/bin/** {`), [
        "no-header",
    ]);
    add("header", "unclosed flags", base.replace(header, `profile ${name} flags=(complain {`), [
        "no-header",
        "parse-failed",
    ]);
    add("header", "header without brace", base.replace(header, `profile ${name}`), ["no-header"]);
    add(
        "header",
        "complain mode, broken body",
        withRule(base, "capability frobnicate,"),
        parse,
        "complain",
    );

    // NUL bytes.
    add("nul", "NUL inside a rule", withRule(base, "/tmp/x\u0000 rw,"), ["nul-byte"]);
    add("nul", "NUL after the header", base.replace(header, `${header}\u0000`), ["nul-byte"]);
    add(
        "nul",
        "NUL inside a rule, mode keep",
        withRule(base, "/tmp/y\u0000 rw,"),
        ["nul-byte"],
        "keep",
    );
    add("nul", "only NUL bytes", "\u0000".repeat(4096), ["no-header"]);
    add("nul", "only NUL bytes, mode keep", "\u0000".repeat(64), ["nul-byte"], "keep");

    // Sizes.
    add("size", "larger than 4 MiB", `${"#".repeat(4 * 1024 * 1024)}\n${base}`, ["too-large"]);
    add(
        "size",
        "3 MiB of comments then a broken rule",
        `${"# filler\n".repeat(330000)}${withRule(base, "/x rwz,")}`,
        parse,
    );
    add(
        "size",
        "20 000 rules then a broken one",
        withRule(
            base,
            `${Array.from({ length: 20000 }, (_, i) => `/tmp/pa-many/${i} r,`).join("\n  ")}\n  /x rwz,`,
        ),
        parse,
    );
    return out;
}
