// The host scripts' safety suite (scripts-safety.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { scriptsSafetySuite } from "./scripts-safety.suite";

scriptsSafetySuite("trixie");
