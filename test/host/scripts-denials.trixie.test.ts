// The host scripts' denials suite (scripts-denials.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { scriptsDenialsSuite } from "./scripts-denials.suite";

scriptsDenialsSuite("trixie");
