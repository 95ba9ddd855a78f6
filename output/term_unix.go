//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package output

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	// SyscallConn, unlike Fd, leaves the descriptor non-blocking.
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var terr error
	if err := rc.Control(func(fd uintptr) {
		_, terr = unix.IoctlGetTermios(int(fd), ioctlReadTermios)
	}); err != nil {
		return false
	}
	return terr == nil
}
