// The host scripts' denials suite (scripts-denials.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsDenialsSuite } from "./scripts-denials.suite";

scriptsDenialsSuite("bookworm");
