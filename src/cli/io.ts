/** Helpers shared by the `fmt` and `check` subcommands: reading FILE|- and naming it in messages. */
import { promises as fs } from "fs";
import { decodeUtf8Exact, notUtf8Message } from "../profile/utf8";

/** The source a subcommand reads: a file path or `-` for stdin. */
export interface Source {
    /** Name used in messages (`<stdin>` for `-`). */
    readonly name: string;
    readonly text: string;
}

/** Reads all of a stream as bytes. */
async function readAllBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
        chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
    }
    return Buffer.concat(chunks);
}

/** `bytes` as the source's text; throws when they are not UTF-8 (naming the byte and the fix). */
function exactText(name: string, bytes: Buffer): Source {
    const d = decodeUtf8Exact(bytes);
    if ("problem" in d) throw new Error(notUtf8Message(name, d.problem));
    return { name, text: d.text };
}

/**
 * Reads `FILE` or stdin (`-`). Throws an Error with a clear message when the file cannot be read,
 * or is not valid UTF-8 (decoding would replace bytes: `fmt` would write, and `check` compile,
 * another policy than the file's).
 */
export async function readSource(arg: string, stdin: NodeJS.ReadableStream): Promise<Source> {
    if (arg === "-") return exactText("<stdin>", await readAllBytes(stdin));
    let bytes: Buffer;
    try {
        bytes = await fs.readFile(arg);
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const why =
            err.code === "ENOENT"
                ? "no such file"
                : err.code === "EISDIR"
                  ? "is a directory"
                  : err.code === "EACCES"
                    ? "permission denied"
                    : err.message;
        throw new Error(`${arg}: ${why}`);
    }
    return exactText(arg, bytes);
}
