/**
 * The suites of the dynamic providers called directly and of the testhost CLI on Debian 13 trixie
 * (kernel 6.12, AppArmor 4.1; issue #18), in sequence on the trixie VM the trixie files of the mocha
 * process share (`sharedVm("trixie")`; PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR uses one already
 * running in DIR instead): one file, so one mocha process and one VM for all of them. Bookworm runs
 * each in a file of its own (provider.vm, compose.provider.vm, test/host/vm-cli).
 */
import { providerSuite } from "./provider.suite";
import { composeProviderSuite } from "./compose.provider.suite";
import { vmCliSuite } from "../host/vm-cli.suite";

providerSuite("trixie");
composeProviderSuite("trixie");
vmCliSuite("trixie");
