// Writes schema.json and bridge-metadata.json (`pulumi-tfgen-random schema --out DIR`), which
// pulumi-resource-random embeds.
package main

import (
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/terraform-providers/terraform-provider-random/airflowe2e"
)

func main() {
	info := airflowe2e.Provider(nil)
	// The docs come from the upstream module's docs/ directory. Without this the bridge looks for
	// the module by running `go mod download` in ./provider, a layout this module does not have.
	info.UpstreamRepoPath = os.Getenv("TF_RANDOM_DIR")
	tfgen.Main("random", info)
}
