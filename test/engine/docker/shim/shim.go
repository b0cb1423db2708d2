// Package shim hands the Pulumi Terraform bridge the SDKv2 provider of the upstream Terraform docker
// provider, whose constructor lives in an internal package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the upstream SDKv2 provider stamped with version.
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
