/**
 * Which includes a container profile may use. `apparmor_parser` runs as root on the host and reads
 * every file an include names: a quoted include is read relative to the directory the parser runs in
 * (or is an absolute path), so `include "/run/systemd/inaccessible/fifo"` blocks the parser forever and
 * `include "/etc/shadow"` leaks the start of a root-only file into its error message. A container
 * profile may therefore only include, in angle brackets, files of AppArmor's own trees under the
 * host's include directory (`/etc/apparmor.d`): `abstractions/` and `local/` inside the profile,
 * `tunables/` (and `local/`) at the top of the file, and `abi/` in an `abi` statement. Pure.
 */
import type { ValueProblem } from "./check";

/** Where an include statement stands. */
export type IncludePlace = "preamble" | "profile" | "abi";

/** The trees each place may include from. */
export const INCLUDE_TREES: Readonly<Record<IncludePlace, readonly string[]>> = {
    preamble: ["tunables", "local"],
    profile: ["abstractions", "local"],
    abi: ["abi"],
};

const COMPONENT = /^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$/;

function example(place: IncludePlace): string {
    return place === "abi"
        ? "abi <abi/3.0>,"
        : place === "preamble"
          ? "include <tunables/global>"
          : "include <abstractions/base>";
}

/**
 * An include (or abi) of a container profile: angle form, a relative path inside one of
 * {@link INCLUDE_TREES} for its place, plain path components (no `.`, `..`, empty or hidden ones).
 */
export function containerIncludeProblem(
    path: string,
    form: string,
    place: IncludePlace,
): ValueProblem {
    const what = place === "abi" ? "abi" : "include";
    const trees = INCLUDE_TREES[place];
    const fix = `include only AppArmor's own files in angle brackets, e.g. ${example(place)} (${trees
        .map((t) => `${t}/…`)
        .join(" or ")} here)`;
    if (form !== "angle")
        return {
            message: `a quoted ${what} ("${path}") is read from the parser's working directory or an absolute path on the host`,
            fix,
        };
    if (path.startsWith("/")) return { message: `${what} <${path}> names an absolute path`, fix };
    const parts = path.split("/");
    const tree = parts[0];
    if (!trees.includes(tree)) {
        const elsewhere = (Object.keys(INCLUDE_TREES) as IncludePlace[]).find((p) =>
            INCLUDE_TREES[p].includes(tree),
        );
        return {
            message: elsewhere
                ? `${what} <${path}> belongs ${elsewhere === "preamble" ? "at the top of the file" : elsewhere === "abi" ? "in an abi statement" : "inside the profile"}, not ${place === "preamble" ? "at the top of the file" : place === "abi" ? "in an abi statement" : "inside the profile"}`
                : `${what} <${path}> is not in AppArmor's ${trees.join(" or ")} tree`,
            fix,
        };
    }
    const rest = parts.slice(1);
    if (rest.length === 0 || rest.some((p) => !COMPONENT.test(p) || p === "." || p === ".."))
        return {
            message: `${what} <${path}> must name a file inside ${tree}/ (plain names, no ".", ".." or empty components)`,
            fix,
        };
    return undefined;
}
