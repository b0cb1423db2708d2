/**
 * Serving the pack: what the `policy-pack/` folder's entry point runs when the Pulumi CLI starts it.
 */
import * as fs from "fs";
import * as path from "path";
import { PolicyPack, type Policies } from "@pulumi/policy";

/** The pack's name, as the CLI prints it (`pulumi-apparmor@v<package version>`). */
export const POLICY_PACK_NAME = "pulumi-apparmor";

/** This package's root: the nearest folder above this file whose package.json is pulumi-apparmor's. */
export function packageRoot(from = __dirname): string | undefined {
    for (let dir = from; ; dir = path.dirname(dir)) {
        try {
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            if (pkg.name === "pulumi-apparmor") return dir;
        } catch {
            // no (readable) package.json here: look further up
        }
        if (path.dirname(dir) === dir) return undefined;
    }
}

/**
 * Starts the policy pack's analyzer server (for the CLI; call it once per process).
 *
 * `@pulumi/policy` reads the pack's version from `package.json` in the current directory, and the
 * Node.js language host starts a pack from the program's directory, so the pack would be versioned
 * with the *program's* package.json (or fail without one). The server is therefore started from this
 * package's root: the pack's version is pulumi-apparmor's.
 */
export function servePolicyPack(policies: Policies, name = POLICY_PACK_NAME): PolicyPack {
    const cwd = process.cwd();
    process.chdir(packageRoot() ?? cwd);
    try {
        return new PolicyPack(name, {
            policies,
            description:
                "pulumi-apparmor guardrails: containers confined by managed AppArmor profiles, " +
                "enforce mode in production, no escape hatches",
        });
    } finally {
        process.chdir(cwd);
    }
}
