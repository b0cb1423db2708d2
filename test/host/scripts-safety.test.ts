// The host scripts' safety suite (scripts-safety.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsSafetySuite } from "./scripts-safety.suite";

scriptsSafetySuite("bookworm");
