import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { createThrowawayStack } from "../support/engine";
import { sharedTestHost, sshExec } from "../support/testhost";
import { Profile } from "../../src/components";

function find(o: unknown, needle: string, path = ""): string[] {
    if (typeof o === "string") return o.includes(needle) ? [path] : [];
    if (o && typeof o === "object")
        return Object.entries(o).flatMap(([k, v]) => find(v, needle, `${path}.${k}`));
    return [];
}

let mode: "enforce" | "complain" = "enforce";
describe("secret probe", function () {
    this.timeout(1200000);
    it("where is the key", async () => {
        const vm = await sharedTestHost();
        const key = fs.readFileSync(vm.privateKeyPath, "utf8");
        const needle = key.split("\n")[1];
        const s = await createThrowawayStack({
            program: async () => {
                const p = new Profile("secure", {
                    hosts: [
                        {
                            host: vm.host,
                            port: vm.port,
                            user: vm.user,
                            privateKey: pulumi.secret(key),
                            hostKey: vm.hostKey,
                            name: "vm",
                        },
                    ],
                    profileText:
                        "profile pa-secret-probe flags=(attach_disconnected) {\n  file,\n}\n",
                    prepareHosts: false,
                    mode,
                });
                return { v: p.versions };
            },
        });
        try {
            await s.up();
            console.log("after up:", find(await s.exportStack(), needle));
            await sshExec(vm, "echo '# x' >> /etc/apparmor.d/containers/pa-secret-probe", {
                asRoot: true,
            });
            await s.stack.refresh();
            console.log("after drift refresh:", find(await s.exportStack(), needle));
            await s.stack.up();
            console.log("after repair up:", find(await s.exportStack(), needle));
            mode = "complain";
            await s.stack.up();
            console.log("after mode up:", find(await s.exportStack(), needle));
        } finally {
            await s.dispose();
        }
    });
});
