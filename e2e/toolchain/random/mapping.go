// Package airflowe2e bridges terraform-provider-random to Pulumi under the names the pulumi_random
// Python SDK uses, because the Go module proxy refuses pulumi-random's own provider module.
//
// The module path lies under the upstream module's so that Go's internal rule lets it import
// internal/provider, the only place the upstream exposes its provider constructor.
package airflowe2e

import (
	"strings"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// Version is set by the build's -ldflags: the binary is not a pulumi-random release, so it reports
// what it was built from (see e2e/versions.env).
var Version string

// Every resource the upstream provider serves (its Resources list). tfgen refuses an unmapped one,
// so a new upstream resource fails the build instead of going missing. Its ephemeral resources
// (bytes, password) have no Pulumi counterpart and are not mapped.
var upstreamResources = []string{
	"bytes", "id", "integer", "password", "pet", "shuffle", "string", "uuid", "uuid4", "uuid7",
}

// Provider maps the upstream resources to the pulumi_random SDK's tokens, all in its "index"
// module: random_password becomes random:index/randomPassword:RandomPassword. Property names are
// the bridge's own camelCase (and list pluralising) of the Terraform names, as in the SDK.
// metadata is the bridge-metadata.json that tfgen wrote next to the schema (nil when tfgen runs).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	resources := map[string]*tfbridge.ResourceInfo{}
	for _, name := range upstreamResources {
		member := "random" + strings.ToUpper(name[:1]) + name[1:]
		resources["random_"+name] = &tfbridge.ResourceInfo{
			Tok: tokens.Type("random:index/" + member + ":" + strings.ToUpper(member[:1]) + member[1:]),
		}
	}
	// random_bytes has no id attribute; pulumi-random takes its base64 value as the ID, which is
	// also what the upstream's import expects. Note that the ID is never a secret in the state.
	resources["random_bytes"].ComputeID = tfbridge.DelegateIDField(
		"base64", "random", "https://github.com/terraform-providers/terraform-provider-random")

	return tfbridge.ProviderInfo{
		P:            pf.ShimProvider(provider.New()),
		Name:         "random",
		Version:      Version,
		Description:  "terraform-provider-random bridged for the airflow e2e tests (not a pulumi-random release).",
		License:      "Apache-2.0",
		Repository:   "https://github.com/hashicorp/terraform-provider-random",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources:    resources,
		// As pulumi-random sets them, so that previews and the stored state match what the
		// released plugin gives the program.
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
}
