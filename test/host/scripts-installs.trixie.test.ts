// The installs script's suite (scripts-installs.suite.ts) on the shared Debian 13 trixie VM (issue #18).
import { scriptsInstallsSuite } from "./scripts-installs.suite";

scriptsInstallsSuite("trixie");
