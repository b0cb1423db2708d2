/**
 * minifyShell: drops what the shell ignores (comment lines, blank lines, indentation) and nothing
 * else — quoted text and here-documents keep every byte. The scripts' own behaviour after minifying is
 * proven by every host-script test (they run the text sent).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import { minifyShell } from "../../../src/host/minify";

const table: [string, string, string][] = [
    [
        "comment and blank lines, indentation",
        '# c\n\n  a=1\n    # indented comment\n  echo "$a"\n',
        'a=1\necho "$a"\n',
    ],
    ["a trailing comment stays (harmless)", "echo x # note\n", "echo x # note\n"],
    [
        "shellcheck directives stay",
        "# shellcheck disable=SC2034\nx=1\n",
        "# shellcheck disable=SC2034\nx=1\n",
    ],
    [
        "multi-line single quotes keep every byte",
        "t='#!/bin/sh\n  # kept\n\n    indented'\n  echo \"$t\"\n",
        "t='#!/bin/sh\n  # kept\n\n    indented'\necho \"$t\"\n",
    ],
    [
        "multi-line double quotes keep every byte",
        'u="[Unit]\n  # kept\n"\n',
        'u="[Unit]\n  # kept\n"\n',
    ],
    ["an escaped quote does not open a string", "echo \\'\n  # c\n", "echo \\'\n"],
    ["a quote inside double quotes", 'echo "it\'s"\n  # c\n', 'echo "it\'s"\n'],
    ["# inside a word is not a comment", "echo ${#x} a#b\n", "echo ${#x} a#b\n"],
    [
        "here-documents keep every byte",
        "cat <<EOF\n  # kept\n\nEOF\n  # gone\n",
        "cat <<EOF\n  # kept\n\nEOF\n",
    ],
    [
        "quoted here-document delimiter",
        "cat <<'END'\n # kept\nEND\n",
        "cat <<'END'\n # kept\nEND\n",
    ],
];

describe("host scripts: minifyShell (table)", () => {
    for (const [what, input, want] of table)
        it(what, () => assert.strictEqual(minifyShell(input), want));

    it("a minified program prints what the original prints", () => {
        const prog =
            "# header\nf() {\n    # body\n    printf '%s|' \"$1\" '# not a comment\n  two'\n}\n\n    f 'a b'\ncat <<EOF\n  x # y\nEOF\necho ${#HOME}\n";
        const run = (t: string) => spawnSync("sh", ["-c", t], { encoding: "utf8" }).stdout;
        assert.strictEqual(run(minifyShell(prog)), run(prog));
    });
});
