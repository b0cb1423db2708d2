/**
 * Entry point of the `pulumi-apparmor` command line. Each subcommand lives in its own module and is
 * loaded only when called, so `pulumi-apparmor fmt` does not pay for the test-host code.
 */

/** A subcommand: receives the arguments after its name, returns the process exit code. */
export type Subcommand = (args: string[], io: CliIo) => Promise<number>;

/** Streams a subcommand reads from and writes to (replaceable in tests). */
export interface CliIo {
    readonly stdin: NodeJS.ReadableStream;
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WritableStream;
}

const subcommands: Record<string, { summary: string; load: () => Promise<Subcommand> }> = {
    fmt: {
        summary: "fmt FILE|-            print the canonical text of a profile",
        load: async () => (await import("./fmt")).run,
    },
    check: {
        summary:
            "check [--no-parser] [-I DIR]... FILE|-  validate a profile (and compile it with apparmor_parser when present)",
        load: async () => (await import("./check")).run,
    },
    denials: {
        summary:
            "denials [FILE|-] [--json] [--profile NAME] [--since TIME] [--suggest]  summarise AppArmor log lines",
        load: async () => (await import("./denials")).run,
    },
    status: {
        summary:
            "status --host USER@HOST[:PORT] --key FILE --host-key KEY [--json] [--stack-export FILE]... [--remove-orphans]  the profiles on a host",
        load: async () => (await import("./status")).run,
    },
    import: {
        summary:
            "import --host USER@HOST[:PORT] --key FILE --host-key KEY --out DIR [--profile NAME]...  a Pulumi program adopting a host's profiles",
        load: async () => (await import("./import")).run,
    },
    testhost: {
        summary: "testhost start|stop|status  a disposable QEMU VM with AppArmor, sshd and dockerd",
        load: async () => (await import("./testhost")).run,
    },
};

function usage(): string {
    const lines = Object.values(subcommands).map((s) => `  pulumi-apparmor ${s.summary}`);
    return `usage:\n${lines.join("\n")}\n`;
}

export async function main(argv: string[], io: CliIo = process): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === "-h" || name === "--help" || name === "help") {
        io.stdout.write(usage());
        return name === undefined ? 2 : 0;
    }
    const sub = subcommands[name];
    if (!sub) {
        io.stderr.write(`pulumi-apparmor: unknown command "${name}"\n${usage()}`);
        return 2;
    }
    return (await sub.load())(rest, io);
}
