package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/brine-cm/brine/internal/logging"
	"github.com/brine-cm/brine/master"
)

// storeTool runs `master backup` and `master restore`.
func storeTool(cmd string, args []string) int {
	fs := flag.NewFlagSet("master "+cmd, flag.ContinueOnError)
	cfgPath := fs.String("c", "", "config file (default "+master.DefaultConfigFile+" when present)")
	rootDir := fs.String("root-dir", "", "the master's root_dir (default "+master.DefaultRootDir+")")
	logLevel := fs.String("log-level", "", "debug, info, warning or error")
	var out *string
	var force *bool
	switch cmd {
	case "backup":
		out = fs.String("out", "", "backup file to write (required)")
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: master backup [-c FILE] [--root-dir DIR] --out FILE\n\n")
			fmt.Fprintf(fs.Output(), "Writes a snapshot of every JetStream bucket and stream of the master (keys, grains,\njobs, returns, events, mine) to FILE, with the master running or stopped.\n\n")
			fs.PrintDefaults()
		}
	case "restore":
		force = fs.Bool("force", false, "replace buckets and streams the store holds already")
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: master restore [-c FILE] [--root-dir DIR] [--force] FILE\n\n")
			fmt.Fprintf(fs.Output(), "Puts the buckets and streams of a backup FILE back into the master's store.\nThe master must be stopped.\n\n")
			fs.PrintDefaults()
		}
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	var file string
	switch {
	case cmd == "backup" && *out == "":
		fmt.Fprintf(os.Stderr, "master backup: --out FILE is required\n")
		return 2
	case cmd == "backup" && fs.NArg() > 0:
		fmt.Fprintf(os.Stderr, "master backup: unexpected argument %q\n", fs.Arg(0))
		return 2
	case cmd == "restore" && fs.NArg() != 1:
		fmt.Fprintf(os.Stderr, "master restore: name one backup FILE\n")
		return 2
	case cmd == "restore":
		file = fs.Arg(0)
	}
	path, required := *cfgPath, true
	if path == "" {
		path, required = master.DefaultConfigFile, false
	}
	cfg, err := master.LoadConfig(path, required)
	if err != nil {
		fmt.Fprintf(os.Stderr, "master %s: %v\n", cmd, err)
		return 2
	}
	if *rootDir != "" {
		cfg.RootDir = *rootDir
	}
	if *logLevel != "" {
		cfg.LogLevel = *logLevel
	}
	level := cfg.LogLevel
	if *logLevel == "" {
		level = "warning" // the tool's own progress lines only on request
	}
	log, err := logging.New(os.Stderr, level)
	if err != nil {
		fmt.Fprintf(os.Stderr, "master %s: %v\n", cmd, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd == "backup" {
		err = master.Backup(ctx, cfg, *out, log)
	} else {
		err = master.Restore(ctx, cfg, file, *force, log)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "master %s: %v\n", cmd, err)
		return 1
	}
	if cmd == "backup" {
		fmt.Printf("backup of %s written to %s\n", cfg.RootDir, *out)
	} else {
		fmt.Printf("%s restored into %s\n", file, cfg.RootDir)
	}
	return 0
}
