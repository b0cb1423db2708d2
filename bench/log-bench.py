#!/usr/bin/env python3
"""libapparmor side of the log benchmark (Debian's python3-libapparmor, LibAppArmor.parse_record).

  log-bench.py time FILE REPEATS   -> {"lines": N, "best_seconds": S, "runs": [...]} on stdout
  log-bench.py dump FILE OUT       -> OUT: one JSON object per input line: libapparmor's fields (or null)
                                      (a file, not stdout: libapparmor's flex scanner echoes some input to fd 1)

Used by bench/log-bench.ts (timing + field-by-field agreement) and by the agreement unit test.
"""
import json
import sys
import time

import LibAppArmor

EVENTS = {
    LibAppArmor.AA_RECORD_INVALID: None,
    LibAppArmor.AA_RECORD_ERROR: "ERROR",
    LibAppArmor.AA_RECORD_AUDIT: "AUDIT",
    LibAppArmor.AA_RECORD_ALLOWED: "ALLOWED",
    LibAppArmor.AA_RECORD_DENIED: "DENIED",
    LibAppArmor.AA_RECORD_HINT: "HINT",
    LibAppArmor.AA_RECORD_STATUS: "STATUS",
}
STRING_FIELDS = [
    "operation", "profile", "name", "name2", "requested_mask", "denied_mask", "comm",
    "net_family", "net_sock_type", "net_protocol", "signal", "peer", "peer_profile",
    "dbus_bus", "dbus_path", "dbus_interface", "dbus_member", "fs_type", "flags", "src_name",
    "info", "namespace", "audit_id",
]
UNSET = 2**64 - 1


def read_lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [line.rstrip("\n") for line in f]


def time_parse(lines, repeats):
    parse, free = LibAppArmor.parse_record, LibAppArmor.free_record
    runs = []
    for _ in range(repeats):
        t0 = time.process_time()
        for line in lines:
            free(parse(line))
        runs.append(time.process_time() - t0)
    return {"lines": len(lines), "best_seconds": min(runs), "runs": runs}


def dump(lines, out):
    for line in lines:
        r = LibAppArmor.parse_record(line)
        ev = EVENTS.get(r.event)
        if ev is None:
            out.write("null\n")
        else:
            d = {"event": ev}
            for f in STRING_FIELDS:
                v = getattr(r, f)
                if v is not None:
                    d[f] = v
            for f in ("pid", "error_code", "epoch", "audit_sub_id"):
                v = getattr(r, f)
                if v:
                    d[f] = v
            for f in ("fsuid", "ouid"):
                v = getattr(r, f)
                if v != UNSET:
                    d[f] = v
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
        LibAppArmor.free_record(r)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    lines = read_lines(path)
    if mode == "time":
        print(json.dumps(time_parse(lines, int(sys.argv[3]) if len(sys.argv) > 3 else 3)))
    elif mode == "dump":
        with open(sys.argv[3], "w", encoding="utf-8", errors="surrogateescape") as out:
            dump(lines, out)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
