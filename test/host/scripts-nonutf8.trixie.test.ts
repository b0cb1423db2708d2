// The non-UTF-8 profile file suite (scripts-nonutf8.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { scriptsNonUtf8Suite } from "./scripts-nonutf8.suite";

scriptsNonUtf8Suite("trixie");
