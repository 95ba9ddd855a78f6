//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package output

import "golang.org/x/sys/unix"

const ioctlReadTermios = unix.TIOCGETA
