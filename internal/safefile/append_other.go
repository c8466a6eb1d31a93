//go:build !unix

package safefile

import (
	"fmt"
	"os"
)

// openAppend refuses a symlink found before opening; Windows has no
// O_NOFOLLOW, and creating a symlink there needs a privilege of its own.
func openAppend(name string) (*os.File, error) {
	if st, err := os.Lstat(name); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s: a symbolic link: refusing to append through it", name)
	}
	return os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, mode)
}

func links(os.FileInfo) uint64 { return 1 }
