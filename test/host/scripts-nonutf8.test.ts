// The non-UTF-8 profile file suite (scripts-nonutf8.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsNonUtf8Suite } from "./scripts-nonutf8.suite";

scriptsNonUtf8Suite("bookworm");
