// Profiles survive a reboot (the boot unit), on a Debian 12 bookworm VM of its own
// (vm-reboot.suite.ts; trixie: test/components/lifecycle.trixie.vm.test.ts).
import { ownHost } from "../support/lifecycleHost";
import { vmRebootSuite } from "./vm-reboot.suite";

vmRebootSuite(ownHost("bookworm"));
