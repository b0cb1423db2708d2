// Package info maps the upstream Terraform docker provider to Pulumi tokens and names the way the
// @pulumi/docker 5.x SDK expects them (docker:index/container:Container, camelCase fields, `command`
// kept singular, containers deleted before they are replaced, `host` defaulting to DOCKER_HOST).
package info

import (
	"context"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// Version is what the plugin reports; set with -ldflags "-X .../info.Version=...".
var Version = "5.0.0"

func resource(name string) *tfbridge.ResourceInfo {
	return &tfbridge.ResourceInfo{Tok: tfbridge.MakeResource("docker", "index", name)}
}

// Provider returns the bridge's description of the provider.
func Provider() tfbridge.ProviderInfo {
	container := resource("Container")
	container.DeleteBeforeReplace = true
	container.Fields = map[string]*tfbridge.SchemaInfo{
		"command":           {Name: "command"},
		"networks_advanced": {Name: "networksAdvanced"},
	}
	image := resource("RemoteImage")
	image.Fields = map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}}

	prov := tfbridge.ProviderInfo{
		P:          shimv2.NewProvider(shim.NewProvider(Version)),
		Name:       "docker",
		Version:    Version,
		GitHubOrg:  "kreuzwerker",
		Repository: "https://github.com/pulumi/pulumi-docker",
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{
					EnvVars: []string{"DOCKER_HOST"},
					ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (any, error) {
						return "unix:///var/run/docker.sock", nil
					},
				},
			},
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config":         resource("ServiceConfig"),
			"docker_container":      container,
			"docker_image":          image,
			"docker_network":        resource("Network"),
			"docker_plugin":         resource("Plugin"),
			"docker_registry_image": resource("RegistryImage"),
			"docker_secret":         resource("Secret"),
			"docker_service":        resource("Service"),
			"docker_tag":            resource("Tag"),
			"docker_volume":         resource("Volume"),
		},
	}
	// Everything not named above (data sources, newer resources) gets the standard docker:index/... token.
	prov.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	prov.SetAutonaming(255, "-")
	return prov
}
