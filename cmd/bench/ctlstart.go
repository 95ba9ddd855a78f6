package main

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

// ctlFirstByte is how long `ctl test.ping ID` on one connected minion
// takes from the exec to the first byte of its output (process start,
// config and credentials, bus connect, publish, the minion's return), as an
// operator feels it; median and max of n runs.
func ctlFirstByte(e *env, id string, n int) {
	var ds []time.Duration
	for range n {
		cmd := exec.Command(filepath.Join(e.bin, "ctl"), "--root-dir", e.root, "test.ping", id)
		out, err := cmd.StdoutPipe()
		check(err)
		start := time.Now()
		check(cmd.Start())
		var b [1]byte
		if _, err := io.ReadFull(out, b[:]); err != nil {
			fail("ctl test.ping %s: no output: %v", id, err)
		}
		ds = append(ds, time.Since(start))
		_, _ = io.Copy(io.Discard, out)
		check(cmd.Wait())
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	fmt.Printf("  ctl test.ping %s, start to first byte: median %s, min %s, max %s (%d runs)\n",
		id, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]), n)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
