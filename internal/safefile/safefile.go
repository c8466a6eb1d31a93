// Package safefile opens the files flowverify writes so that a file
// planted in their place cannot redirect them: a new file is created
// exclusively (never through a symlink, never over an existing file),
// an appended one is never reached through a symlink, and both are
// readable by their owner only.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// mode is what every file flowverify writes is created with: reports and
// captures hold a customer's metadata.
const mode = 0o600

// Create makes a new file at name for writing. It fails when anything is
// there already, a symlink included (O_EXCL does not follow one).
func Create(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
}

// Append opens name for appending, creating it if it is missing. It fails
// when name is a symlink, a regular file with more than one link (a hard
// link could point at a file its owner did not mean to share), or
// anything but such a file, a pipe or a character device.
func Append(name string) (*os.File, error) {
	f, err := openAppend(name)
	if err != nil {
		if st, lerr := os.Lstat(name); lerr == nil && st.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s: is a symbolic link: refusing to write through it", name)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	// A pipe or a character device (/dev/null, a FIFO another process
	// reads) is what the user named; a block device, a socket, or a
	// regular file with a second hard link could be a planted target.
	switch m := st.Mode(); {
	case m&os.ModeNamedPipe != 0, m&os.ModeCharDevice != 0:
	case !m.IsRegular() || links(st) > 1:
		f.Close()
		return nil, fmt.Errorf("%s: not a plain file, a pipe or a character device (a block device, a socket or a hard link): refusing to append to it", name)
	}
	return f, nil
}

// Unpredictable returns n random bytes in hex, for names another user
// must not be able to guess (and plant a link at) ahead of time.
func Unpredictable(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
