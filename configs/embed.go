// Package configs embeds the shipped matrices so the binary works alone.
package configs

import _ "embed"

// ThreatManager is the default matrix (configs/threatmanager.yaml).
//
//go:embed threatmanager.yaml
var ThreatManager []byte
