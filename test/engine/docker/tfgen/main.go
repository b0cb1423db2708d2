// Command tfgen writes the Pulumi schema of pulumi-resource-docker: `tfgen schema --out DIR`.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"pulumi-apparmor.test/engine/docker/info"
)

func main() {
	tfgen.Main("docker", info.Version, info.Provider())
}
