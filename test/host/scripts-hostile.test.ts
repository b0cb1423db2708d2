// The host scripts' hostile suite (scripts-hostile.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsHostileSuite } from "./scripts-hostile.suite";

scriptsHostileSuite("bookworm");
