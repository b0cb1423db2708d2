/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Whether the compiled library in `dist/` is as new as the sources: every compiled file in
 * `dist/src` newer than every TypeScript file in `src`. Plain JavaScript, so that the engine tests'
 * stand-in package (`node_path/pulumi-apparmor/providers.js`), which runs before any TypeScript
 * loader, can ask too. (The host scripts are not compiled: `dist/` reads them from `src/host`.)
 */
const fs = require("fs");
const path = require("path");

/** Newest (or oldest) modification time of the files below `dir` whose names end in `ext`. */
function mtimes(dir, ext, pick) {
    let t = NaN;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        const m = e.isDirectory()
            ? mtimes(p, ext, pick)
            : e.name.endsWith(ext)
              ? fs.statSync(p).mtimeMs
              : NaN;
        if (!Number.isNaN(m)) t = Number.isNaN(t) ? m : pick(t, m);
    }
    return t;
}

/** Whether every compiled file in `ROOT/dist/src` is newer than every source file in `ROOT/src`. */
function distIsFresh(root) {
    const dist = path.join(root, "dist", "src");
    if (!fs.existsSync(dist)) return false;
    const newestSource = mtimes(path.join(root, "src"), ".ts", Math.max);
    const oldestBuild = mtimes(dist, ".js", Math.min);
    return !Number.isNaN(oldestBuild) && oldestBuild > newestSource;
}

module.exports = { distIsFresh };
