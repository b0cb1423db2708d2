// Local module that exposes the upstream Terraform docker provider's internal constructor. Go allows
// this because the internal rule is checked on import paths in module mode, and this package's import
// path lives under github.com/terraform-providers/terraform-provider-docker.
module github.com/terraform-providers/terraform-provider-docker/shim

go 1.25.8
