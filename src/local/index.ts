/** Local I/O: runs `apparmor_parser` on the machine running Pulumi or the CLI. */
export * from "./parser";
