// The read script's suite (scripts-read.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsReadSuite } from "./scripts-read.suite";

scriptsReadSuite("bookworm");
