// Profile files as bytes (src/profile/utf8.ts): where a file stops being UTF-8, exact decoding, the
// refusal message (#16: a Latin-1 byte in a comment or path that apparmor_parser accepts).
import * as assert from "assert";
import {
    decodeUtf8Exact,
    describeUtf8Problem,
    notUtf8Message,
    utf8Problem,
} from "../../../src/profile/utf8";

const b = (...parts: (string | number[])[]) =>
    Buffer.concat(
        parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))),
    );

describe("profile bytes: UTF-8 check", () => {
    const valid: [string, Buffer][] = [
        ["empty", b()],
        ["ASCII", b("profile p {\n  file,\n}\n")],
        ["two-byte é", b("# café\n")],
        ["three-byte €", b("# €\n")],
        ["four-byte 😀", b("# 😀\n")],
        ["a byte-order mark", b([0xef, 0xbb, 0xbf], "profile p {}\n")],
        ["U+FFFD itself", b("# \ufffd\n")],
        ["the largest code point U+10FFFF", b([0xf4, 0x8f, 0xbf, 0xbf])],
        ["U+D7FF (below the surrogates)", b([0xed, 0x9f, 0xbf])],
    ];
    for (const [what, bytes] of valid)
        it(`valid: ${what} (decodes to a string that encodes back to the same bytes)`, () => {
            assert.strictEqual(utf8Problem(bytes), undefined);
            const d = decodeUtf8Exact(bytes);
            assert.ok("text" in d);
            assert.ok(Buffer.from(d.text, "utf8").equals(bytes));
        });

    // [what, bytes, offset, byte, line, column]
    const invalid: [string, Buffer, number, number, number, number][] = [
        ["Latin-1 é in a comment", b("# caf", [0xe9], "\n"), 5, 0xe9, 1, 6],
        [
            "Latin-1 é in a quoted path, line 3",
            b('profile p {\n  # x\n  "/srv/caf', [0xe9], '/**" r,\n}\n'),
            29,
            0xe9,
            3,
            12,
        ],
        ["a lone continuation byte", b("a", [0x80]), 1, 0x80, 1, 2],
        ["a lead byte at the end", b("ab", [0xc3]), 2, 0xc3, 1, 3],
        ["a lead byte followed by ASCII", b([0xc3], "A"), 0, 0xc3, 1, 1],
        ["an overlong slash (C0 AF)", b([0xc0, 0xaf]), 0, 0xc0, 1, 1],
        ["an overlong three-byte (E0 80 80)", b([0xe0, 0x80, 0x80]), 0, 0xe0, 1, 1],
        ["a surrogate (ED A0 80)", b([0xed, 0xa0, 0x80]), 0, 0xed, 1, 1],
        ["above U+10FFFF (F4 90 80 80)", b([0xf4, 0x90, 0x80, 0x80]), 0, 0xf4, 1, 1],
        ["F5", b([0xf5, 0x80, 0x80, 0x80]), 0, 0xf5, 1, 1],
        [
            "EF 41: the first bad byte, not where re-encoding differs",
            b([0xef, 0x41]),
            0,
            0xef,
            1,
            1,
        ],
        ["after valid multi-byte text", b("é\n€\n", [0xff]), 7, 0xff, 3, 1],
    ];
    for (const [what, bytes, offset, byte, line, column] of invalid)
        it(`not UTF-8: ${what}`, () => {
            assert.deepStrictEqual(utf8Problem(bytes), { offset, byte, line, column });
            const d = decodeUtf8Exact(bytes);
            assert.ok("problem" in d);
            assert.strictEqual(d.problem.offset, offset);
        });

    it("the refusal names the file, the byte, its place and the fix", () => {
        const p = utf8Problem(b("# caf", [0xe9], "\n"))!;
        assert.strictEqual(describeUtf8Problem(p), "byte 0xE9 at offset 5 (line 1, column 6)");
        const m = notUtf8Message("/etc/apparmor.d/containers/p on root@h:22", p);
        assert.match(
            m,
            /^\/etc\/apparmor\.d\/containers\/p on root@h:22 is not valid UTF-8: byte 0xE9 at offset 5 \(line 1, column 6\)/,
        );
        assert.ok(m.includes("octal escape: a backslash followed by 351"), m);
        assert.match(m, /iconv -f latin1 -t utf-8/);
    });

    it("decodes a view into a larger buffer by its own bytes", () => {
        const whole = b("xx# é\nyy");
        const view = whole.subarray(2, 7);
        const d = decodeUtf8Exact(view);
        assert.ok("text" in d);
        assert.strictEqual(d.text, "# é\n");
    });
});
