// The compose host script's ownership suite (scripts-compose.suite.ts) on the shared Debian 13 trixie VM
// (compose v2 2.26; issue #18).
import { scriptsComposeSuite } from "./scripts-compose.suite";

scriptsComposeSuite("trixie");
