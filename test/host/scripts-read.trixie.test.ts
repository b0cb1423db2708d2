// The read script's suite (scripts-read.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { scriptsReadSuite } from "./scripts-read.suite";

scriptsReadSuite("trixie");
