/**
 * Rewrites one "## X." section of a markdown results file, keeping the others (so the parts of a
 * benchmark can be re-run on their own).
 */
import * as fs from "fs";

/** Replaces the section that starts with `## ${id}.` in `file` by `section` (appended when absent). */
export function writeResultsSection(file: string, id: string, section: string[]): void {
    const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmark\n";
    const head = new RegExp(`^## ${id.replace(/[^A-Za-z0-9]/g, "\\$&")}\\.`, "m");
    const start = old.search(head);
    const before = start >= 0 ? old.slice(0, start) : old.replace(/\n*$/, "\n\n");
    const rest = start >= 0 ? old.slice(start + 1) : "";
    const next = rest.search(/^## /m);
    const after = next >= 0 ? rest.slice(next) : "";
    fs.writeFileSync(file, before + section.join("\n") + "\n" + (after ? "\n" + after : ""));
}
