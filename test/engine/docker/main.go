// Command pulumi-resource-docker serves the upstream Terraform docker provider through the Pulumi
// Terraform bridge. The schema.json kept in the repository is a placeholder: test/engine/build.sh
// overwrites it with the output of ./tfgen (same mapping) before building this package.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"pulumi-apparmor.test/engine/docker/info"
)

//go:embed schema.json
var schema []byte

func main() {
	tfbridge.Main("docker", info.Version, info.Provider(), schema)
}
