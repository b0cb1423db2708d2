/**
 * Shell commands (run as root on a Debian 13 test VM) that change the feature set the host's
 * apparmor_parser is pinned to in /etc/apparmor/parser.conf, as an in-place upgrade would, and put it
 * back: for the ABI-per-host tests (#18 item 2). Each test names its own files under /var/tmp.
 */

/** The parser's config file. */
export const PARSER_CONF = "/etc/apparmor/parser.conf";
/** The feature set Debian 13 pins (`policy-features=` in parser.conf). */
export const DEBIAN_PIN = "/usr/share/apparmor-features/features";

export interface PinCommands {
    /** A copy of Debian's pinned set without `userns_create` (the kernel has it). */
    readonly noUsernsPin: string;
    /** Saves parser.conf (once) and writes {@link noUsernsPin}. */
    readonly setup: string;
    /** parser.conf holding only `policy-features=PATH`. */
    pin(path: string): string;
    /** parser.conf as saved. */
    readonly restore: string;
    /** parser.conf as saved, the saved copy and {@link noUsernsPin} removed. */
    readonly teardown: string;
}

/** The commands for a test whose files start with `/var/tmp/PREFIX`. */
export function pinCommands(prefix: string): PinCommands {
    const saved = `/var/tmp/${prefix}-parser.conf`;
    const noUsernsPin = `/var/tmp/${prefix}-no-userns`;
    return {
        noUsernsPin,
        setup:
            `[ -e ${saved} ] || cp -p ${PARSER_CONF} ${saved}; ` +
            `sed 's/^namespaces {mask {userns_create$/namespaces {mask {/' ${DEBIAN_PIN} > ${noUsernsPin}`,
        pin: (path) => `printf 'policy-features=%s\\n' '${path}' > ${PARSER_CONF}`,
        restore: `cp -p ${saved} ${PARSER_CONF}`,
        teardown: `[ ! -e ${saved} ] || cp -p ${saved} ${PARSER_CONF}; rm -f ${saved} ${noUsernsPin}`,
    };
}
