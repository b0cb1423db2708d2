/**
 * Renaming a profile (pure): the top-level profile `from` becomes `to`, and the rules that name the
 * profile itself as a peer (docker-default's `ptrace … peer=NAME,`, `signal … peer=NAME,`, unix and
 * dbus peer labels) follow, so the renamed profile allows exactly what the original allowed.
 */
import type { PolicyDocument, PolicyItem, Profile, ProfileItem } from "./model";

function renameItem(item: ProfileItem, from: string, to: string): ProfileItem {
    switch (item.kind) {
        case "signal":
        case "ptrace":
            return item.peer === from ? { ...item, peer: to } : item;
        case "unix":
        case "dbus":
            return item.peer?.label === from
                ? { ...item, peer: { ...item.peer, label: to } }
                : item;
        case "profile":
            return { ...item, rules: item.rules.map((r) => renameItem(r, from, to)) };
        default:
            return item;
    }
}

/** The profile renamed from `from` to `to` (see the file comment). */
export function renameProfile<T extends Profile | PolicyDocument>(
    model: T,
    from: string,
    to: string,
): T {
    const one = (p: Profile): Profile =>
        p.name === from
            ? { ...p, name: to, rules: p.rules.map((r) => renameItem(r, from, to)) }
            : p;
    if (model.kind === "profile") return one(model) as T;
    const items: PolicyItem[] = model.items.map((i) => (i.kind === "profile" ? one(i) : i));
    return { ...model, items } as T;
}
