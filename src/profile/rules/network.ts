/**
 * `network [DOMAIN] [TYPE] [PROTOCOL],`: socket access by address family, type and protocol.
 */
import { checkOptional, inSet, join, type Collector, type Obj } from "../check";
import type { Qualifiers } from "../model";
import { codePrefix, lit, prefix, word } from "../quoting";
import { isIdChar, qualifiers, Untyped, type Prefix, type Scanner } from "../scanner";
import { networkProtocolProblem } from "../semantics";
import type { RuleKind } from "./kind";
import { setIfDefined } from "./common";

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

/** `network [DOMAIN] [TYPE] [PROTOCOL],` e.g. `network inet stream,`, `network netlink raw,`, `network,`. */
export interface NetworkRule extends Qualifiers {
    readonly kind: "network";
    /** address family: inet, inet6, unix, netlink, packet, … */
    readonly domain?: string;
    /** socket type: stream, dgram, seqpacket, raw, rdm, packet. */
    readonly type?: string;
    /** protocol: tcp, udp, icmp, … */
    readonly protocol?: string;
}

/** Address families `network` rules accept (apparmor_parser 3.0). */
export const NETWORK_DOMAINS: readonly string[] = [
    "unix",
    "inet",
    "ax25",
    "ipx",
    "appletalk",
    "netrom",
    "bridge",
    "atmpvc",
    "x25",
    "inet6",
    "rose",
    "netbeui",
    "security",
    "key",
    "netlink",
    "packet",
    "ash",
    "econet",
    "atmsvc",
    "rds",
    "sna",
    "irda",
    "pppox",
    "wanpipe",
    "llc",
    "ib",
    "mpls",
    "can",
    "tipc",
    "bluetooth",
    "iucv",
    "rxrpc",
    "isdn",
    "phonet",
    "ieee802154",
    "caif",
    "alg",
    "nfc",
    "vsock",
    "kcm",
    "qipcrtr",
    "smc",
    "xdp",
    "mctp",
];
/** Socket types of `network` rules. */
export const NETWORK_TYPES: readonly string[] = [
    "stream",
    "dgram",
    "seqpacket",
    "rdm",
    "raw",
    "packet",
];
/** Protocols of `network` rules. */
export const NETWORK_PROTOCOLS: readonly string[] = ["tcp", "udp", "icmp"];

/** Address families known to AppArmor 3.0 (base_af_names.h), used to classify `network` words. */
const PARSE_DOMAINS = new Set([
    "unspec",
    "unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge", "atmpvc", "x25", "inet6",
    "rose", "netbeui", "security", "key", "netlink", "packet", "ash", "econet", "atmsvc", "rds",
    "sna", "irda", "pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc", "bluetooth", "iucv",
    "rxrpc", "isdn", "phonet", "ieee802154", "caif", "alg", "nfc", "vsock", "kcm", "qipcrtr",
    "smc", "xdp", "mctp",
]); // prettier-ignore
const PARSE_TYPES = new Set(["stream", "dgram", "seqpacket", "rdm", "raw", "packet"]);

/** Options of `network(...)`. */
export interface NetworkOptions {
    /** address family, e.g. `inet`. Defaults to all. */
    readonly domain?: string;
    /** socket type, e.g. `stream`. Defaults to all. */
    readonly type?: string;
    /** protocol, e.g. `tcp`. Defaults to all. */
    readonly protocol?: string;
}

/** `network(…)` with the qualifiers `q`: positional words or {@link NetworkOptions}. */
export function buildNetwork(
    q: Qualifiers,
    domainOrOptions?: string | NetworkOptions,
    type?: string,
    protocol?: string,
): NetworkRule {
    const o: NetworkOptions =
        typeof domainOrOptions === "object"
            ? domainOrOptions
            : { domain: domainOrOptions, type, protocol };
    const rule: Record<string, unknown> = { kind: "network", ...q };
    setIfDefined(rule, "domain", o.domain);
    setIfDefined(rule, "type", o.type);
    setIfDefined(rule, "protocol", o.protocol);
    return rule as unknown as NetworkRule;
}

export const networkKind: RuleKind<NetworkRule> = {
    kind: "network",
    keywords: ["network"],
    noPriority: true,
    parse(s: Scanner, p: Prefix): NetworkRule {
        s.pos += "network".length;
        const words: string[] = [];
        for (;;) {
            s.skipWs();
            if (s.peek() === ",") {
                s.pos++;
                break;
            }
            if (s.peek() === "(" || /^[A-Za-z_]+\s*=/.test(s.text.slice(s.pos, s.pos + 30)))
                throw new Untyped();
            const w = s.run(isIdChar);
            if (!w) throw s.error("a network domain, type or protocol, or ','");
            words.push(w);
        }
        if (words.length > 3) throw new Untyped();
        const r: { domain?: string; type?: string; protocol?: string } = {};
        for (const w of words) {
            if (
                r.domain === undefined &&
                r.type === undefined &&
                r.protocol === undefined &&
                PARSE_DOMAINS.has(w)
            )
                r.domain = w;
            else if (r.type === undefined && r.protocol === undefined && PARSE_TYPES.has(w))
                r.type = w;
            else if (r.protocol === undefined) r.protocol = w;
            else throw new Untyped();
        }
        return { kind: "network", ...qualifiers(p), ...r };
    },
    render(r: NetworkRule): string {
        const parts = [r.domain, r.type, r.protocol]
            .filter((x): x is string => x !== undefined)
            .map((x) => " " + word(x, "network qualifier"));
        return `${prefix(r)}network${parts.join("")},`;
    },
    validate(c: Collector, r: Obj, base: string): void {
        checkOptional(
            c,
            r,
            base,
            "domain",
            inSet(NETWORK_DOMAINS, "network domain", "use e.g. inet, inet6, unix, netlink, packet"),
        );
        checkOptional(
            c,
            r,
            base,
            "type",
            inSet(NETWORK_TYPES, "socket type", "use stream, dgram, seqpacket, rdm, raw or packet"),
        );
        checkOptional(
            c,
            r,
            base,
            "protocol",
            inSet(NETWORK_PROTOCOLS, "network protocol", "use tcp, udp or icmp"),
        );
        if (r.type !== undefined && r.protocol !== undefined) {
            c.fail(
                join(base, "protocol"),
                "a network rule takes a type or a protocol, not both",
                "drop the type or the protocol",
            );
        } else if (
            typeof r.domain === "string" &&
            typeof r.protocol === "string" &&
            NETWORK_DOMAINS.includes(r.domain) &&
            NETWORK_PROTOCOLS.includes(r.protocol)
        ) {
            c.add(join(base, "protocol"), networkProtocolProblem(r.domain, r.protocol));
        }
    },
    code(r: NetworkRule): string | undefined {
        const parts = [r.domain, r.type, r.protocol];
        while (parts.length > 0 && parts[parts.length - 1] === undefined) parts.pop();
        if (!parts.every((p) => p !== undefined)) return undefined;
        return `${codePrefix(r)}network(${(parts as string[]).map(lit).join(", ")})`;
    },
};
