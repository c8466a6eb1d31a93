package report

import "github.com/flowverify/flowverify/classifier/matrix"

// SiteArg is one setting of the site as a command line gives it, beside
// the matrix file an inventory offers: which setting (the profile, a
// host, the server, a role), the name it is for (a host's, a role's) and
// its values. The command spells it as its flag (Inventory.Flags).
type SiteArg struct {
	Setting matrix.Setting
	Name    string
	Values  []string
}

// InventoryUsage is what an inventory's text and site file tell the
// reader to run, in the command's words, since they name its flags.
type InventoryUsage struct {
	// Describe leads the command line that describes the site (text).
	Describe string
	// FileHead are the site file's first comment lines: what the file
	// is, and how to pass it.
	FileHead []string
}
