//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// openAppend opens without following a final symlink: O_NOFOLLOW makes
// the open itself fail, with no window between a check and the open.
func openAppend(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, mode)
}

func links(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Nlink)
	}
	return 1
}
