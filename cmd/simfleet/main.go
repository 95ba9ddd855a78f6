// Command simfleet runs N simulated minions in one process, for benchmarks:
// each is a real minion.Minion with its own nkey and its own connection to
// the master, with synthetic grains instead of collected ones. It prints
// "connected N" whenever the number of connected minions changes (at most
// every 50 ms) and runs until SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/brine-cm/brine/minion"
)

func main() {
	n := flag.Int("n", 100, "number of minions")
	master := flag.String("master", "nats://127.0.0.1:4506", "master bus URL")
	prefix := flag.String("prefix", "sim", "minion id prefix")
	rampPerSec := flag.Int("ramp", 2000, "start at most this many minions per second")
	withMine := flag.Bool("mine", false, "give each minion a mine function (its id and ipv4 grain via test.echo)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var connected atomic.Int64
	var wg sync.WaitGroup
	roles := []string{"web", "db", "cache", "queue"}
	envs := []string{"prod", "test"}
	tick := time.NewTicker(time.Second / time.Duration(max(*rampPerSec, 1)))
	defer tick.Stop()
	for i := 0; i < *n; i++ {
		<-tick.C
		id := fmt.Sprintf("%s-%05d", *prefix, i)
		kp, err := nkeys.CreateUser()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cfg := &minion.Config{ID: id, Master: *master, RootDir: os.TempDir()}
		if *withMine {
			cfg.MineFunctions = map[string]any{"addr": []any{map[string]any{"mine_function": "test.echo"}, fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)}}
		}
		if err := cfg.SetDefaults(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		g := map[string]any{
			"id": id, "os": "Debian", "os_family": "Debian", "kernel": "Linux",
			"roles": []any{roles[i%len(roles)]}, "env": envs[i%len(envs)],
			"num_cpus": 2, "ipv4": []any{fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)},
		}
		m, err := minion.New(cfg, minion.Options{Logger: log, Key: kp, Grains: g, OnConnectionChange: func(up bool) {
			if up {
				connected.Add(1)
			} else {
				connected.Add(-1)
			}
		}})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = m.Run(ctx)
		}()
	}
	last := int64(-1)
	report := time.NewTicker(50 * time.Millisecond)
	defer report.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-report.C:
			if c := connected.Load(); c != last {
				last = c
				fmt.Printf("connected %d\n", c)
			}
		}
	}
}
