/**
 * More engine and component suites on Debian 13 trixie (kernel 6.12, AppArmor 4.1; issue #18), in
 * sequence on the trixie VM the trixie files of the mocha process share (`sharedVm("trixie")`;
 * PULUMI_APPARMOR_TESTHOST_TRIXIE_STATE=DIR uses one already running in DIR instead): one file, so
 * one mocha process and one VM for all of them. Bookworm runs each in a file of its own
 * (engine.preview-compile, engine.read, engine.orphans, engine.prepare, provider.preflight).
 *
 * The preflight suite goes last: it breaks the host on purpose (sudoers, apparmor_parser,
 * securityfs, docker's view of AppArmor), restoring each in turn; on bookworm it boots a VM of its own.
 */
import { enginePreviewCompileSuite } from "./engine.preview-compile.suite";
import { engineReadSuite } from "./engine.read.suite";
import { engineOrphansSuite } from "./engine.orphans.suite";
import { enginePrepareSuite } from "./engine.prepare.suite";
import { providerPreflightSuite } from "./provider.preflight.suite";

enginePreviewCompileSuite("trixie");
engineReadSuite("trixie");
engineOrphansSuite("trixie");
enginePrepareSuite("trixie");
providerPreflightSuite("trixie", "shared");
