// The installs script's suite (scripts-installs.suite.ts) on the shared Debian 12 bookworm VM.
import { scriptsInstallsSuite } from "./scripts-installs.suite";

scriptsInstallsSuite("bookworm");
