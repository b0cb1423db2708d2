/**
 * The host lifecycle suites on Debian 13 trixie (kernel 6.12, AppArmor 4.1; issue #18), on ONE
 * trixie VM of this file's own (`sharedLifecycleHost`), in sequence: one first boot instead of five.
 * Bookworm runs each suite in a file of its own (vm-reboot, scripts-apparmor-off,
 * engine.apparmor-off, engine.forget, engine.rekey).
 *
 * The order makes the reboots serve two suites where it can, and each suite leaves the host as it
 * found it for the next:
 *  1. scripts-apparmor-off: the first boot, with `apparmor=0` (install refused: nothing written);
 *  2. vm-reboot: rebooted with AppArmor on; its reboot; removes its profiles, unit and loader;
 *  3. engine.rekey: re-keys sshd and restores the original key (and known_hosts); destroys its stack;
 *  4. engine.apparmor-off: reboots to `apparmor=0` and back; destroys its stack;
 *  5. engine.forget, last: it powers the VM off and forgets its profile without removing it, which
 *     stays on the disk (nothing runs after it).
 * Boots: 1 + 4 reboots (the five bookworm files: 5 boots + 3 reboots).
 */
import { sharedLifecycleHost } from "../support/lifecycleHost";
import { scriptsApparmorOffSuite } from "../host/scripts-apparmor-off.suite";
import { vmRebootSuite } from "../host/vm-reboot.suite";
import { engineRekeySuite } from "./engine.rekey.suite";
import { engineApparmorOffSuite } from "./engine.apparmor-off.suite";
import { engineForgetSuite } from "./engine.forget.suite";

describe("host lifecycle suites on one Debian 13 trixie VM", function () {
    const host = sharedLifecycleHost("trixie");
    after(async function () {
        this.timeout(600_000);
        await host.stop();
    });

    scriptsApparmorOffSuite(host);
    vmRebootSuite(host);
    engineRekeySuite(host);
    engineApparmorOffSuite(host);
    engineForgetSuite(host);
});
