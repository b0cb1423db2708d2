// The host scripts' hostile suite (scripts-hostile.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { scriptsHostileSuite } from "./scripts-hostile.suite";

scriptsHostileSuite("trixie");
