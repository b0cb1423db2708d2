// The core host-script suite (scripts.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { scriptsSuite } from "./scripts.suite";

scriptsSuite("trixie");
