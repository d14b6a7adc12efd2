// The resource plugin. schema.json and bridge-metadata.json are not committed: the toolchain
// build runs pulumi-tfgen-random into this directory first.
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/terraform-providers/terraform-provider-random/airflowe2e"
)

var (
	//go:embed schema.json
	schema []byte
	//go:embed bridge-metadata.json
	metadata []byte
)

func main() {
	pf.Main(context.Background(), "random", airflowe2e.Provider(metadata),
		pf.ProviderMetadata{PackageSchema: schema})
}
