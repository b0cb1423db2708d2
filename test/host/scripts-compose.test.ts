// The compose host script's ownership suite (scripts-compose.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsComposeSuite } from "./scripts-compose.suite";

scriptsComposeSuite("bookworm");
