//go:build linux || darwin || freebsd

package main

import "syscall"

// diskSpace is what an unprivileged process may still write on the disk
// holding dir, and the disk's size.
func diskSpace(dir string) (free, size uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), uint64(st.Blocks) * uint64(st.Bsize), nil
}
