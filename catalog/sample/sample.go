// Package sample holds the demo catalog that `itspm chat --demo` imports.
package sample

import "embed"

// FS holds the sample catalog's YAML files (people, governance and one file
// of services per portfolio), in the native format of SPEC section 5.
//
//go:embed *.yaml
var FS embed.FS
