//go:build linux

package output

import "golang.org/x/sys/unix"

const ioctlReadTermios = unix.TCGETS
