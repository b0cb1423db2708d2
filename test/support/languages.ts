/**
 * Language hosts and runtimes for the engine tests of programs in other languages (issue #14):
 * `pulumi-language-python` (and yaml) from test/engine/build-language.sh, and the Python venv from
 * test/engine/python-venv.sh. Both are cached by recipe; a cold build runs here (minutes), a warm
 * call costs a few milliseconds. With a `pulumi` of the user's own (engine layout `own`), its own
 * language hosts next to it are used and nothing is built.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { engine } from "./engine";

const repoRoot = path.resolve(__dirname, "..", "..");

/** Runs a cache script of test/engine and returns the last line it prints (its output folder). */
function lastLine(script: string, args: readonly string[]): string {
    const out = execFileSync("bash", [path.join(repoRoot, "test", "engine", script), ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
    return out.trim().split("\n").pop() ?? "";
}

/**
 * The folder holding `pulumi-language-LANGUAGE` for the engine under test: the source build's
 * (built and cached by test/engine/build-language.sh), or the user's pulumi folder.
 */
export function languageHostDir(language: "python" | "yaml"): string {
    if (engine().layout === "own") return engine().binDir;
    const dir = lastLine("build-language.sh", [language]);
    if (!fs.existsSync(path.join(dir, `pulumi-language-${language}`)))
        throw new Error(
            `test/engine/build-language.sh ${language} printed no language host folder (${JSON.stringify(dir)})`,
        );
    return dir;
}

/** The cached Python venv (pulumi and pulumi-docker from PyPI) of test/engine/python-venv.sh. */
export function pythonVenv(): string {
    const dir = lastLine("python-venv.sh", []);
    if (!fs.existsSync(path.join(dir, "bin", "python")))
        throw new Error(`test/engine/python-venv.sh printed no venv (${JSON.stringify(dir)})`);
    return dir;
}
