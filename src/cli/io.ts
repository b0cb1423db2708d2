/** Helpers shared by the `fmt` and `check` subcommands: reading FILE|- and naming it in messages. */
import { promises as fs } from "fs";

/** Reads all of a stream as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
        chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
    }
    return Buffer.concat(chunks).toString("utf8");
}

/** The source a subcommand reads: a file path or `-` for stdin. */
export interface Source {
    /** Name used in messages (`<stdin>` for `-`). */
    readonly name: string;
    readonly text: string;
}

/** Reads `FILE` or stdin (`-`). Throws an Error with a clear message when the file cannot be read. */
export async function readSource(arg: string, stdin: NodeJS.ReadableStream): Promise<Source> {
    if (arg === "-") return { name: "<stdin>", text: await readAll(stdin) };
    try {
        return { name: arg, text: await fs.readFile(arg, "utf8") };
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
}
