/**
 * Profile version: a content hash of the canonical policy text.
 *
 * `profileVersion(model)` = lower-case hex SHA-256 of the UTF-8 bytes of `renderProfile(model)`:
 * - included: everything the renderer writes — the preamble (abi, includes, variables, aliases) when a
 *   whole document is given, the profile header (name, attachment, xattrs, flags), every rule, nested
 *   hats/child profiles, include lines, comments and raw rules, in model order, plus the final newline;
 * - normalised away (so they do not change the version): whitespace and line layout of the source,
 *   quoting that the lexer does not need, the order and duplicates of set-valued fields (file
 *   permissions, access sets, capabilities, signals, flags), `user` vs `owner`, `unmount` vs `umount`,
 *   the optional `file` keyword, the leading-permissions form (`r /x,` = `/x r,`), `flags=` being
 *   omitted, `profile /x {` vs `/x {`, `set=hup` vs `set=(hup)`;
 * - kept (so they do change it): the `#include` vs `include` spelling, an explicit `allow`, comments,
 *   the order of rules, includes, variable values and mount options;
 * - NOT included: the contents of files pulled in by `include` lines (only the include line itself),
 *   the values variables take on a host, and the `apparmor_parser` version/features used to compile.
 */

import { createHash } from "crypto";
import { PolicyDocument, Profile } from "./model";
import { renderProfile } from "./render";

/** Lower-case hex SHA-256 of the canonical rendered text of `model` (see module doc). */
export function profileVersion(model: PolicyDocument | Profile): string {
    return createHash("sha256").update(renderProfile(model), "utf8").digest("hex");
}
