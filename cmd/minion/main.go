// Command minion runs the Brine agent on a node.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/brine-cm/brine/internal/logging"
	buildversion "github.com/brine-cm/brine/internal/version"
	"github.com/brine-cm/brine/minion"
)

func main() { os.Exit(run()) }

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "call" {
		return runCall(os.Args[2:])
	}
	fs := flag.NewFlagSet("minion", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: minion [-c FILE] [--id ID] [--master URL] [--root-dir DIR] [--log-level LEVEL]\n")
		fmt.Fprintf(fs.Output(), "       minion call [-c FILE] [--local] [--out FORMAT] FUNCTION [ARG...] [KEY=VALUE...]   (salt-call; minion call -h)\n\n")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("c", "", "config file (default "+minion.DefaultConfigFile+" when present)")
	id := fs.String("id", "", "minion id (default: hostname)")
	masterURL := fs.String("master", "", "master bus URL (default "+minion.DefaultMaster+")")
	rootDir := fs.String("root-dir", "", "directory for the key, grains and cache (default "+minion.DefaultRootDir+")")
	logLevel := fs.String("log-level", "", "debug, info, warning or error")
	version := fs.Bool("version", false, "print the version and exit")
	versionsReport := fs.Bool("versions-report", false, "print the versions of this build and its libraries, and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "minion: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *version {
		fmt.Println(buildversion.Line("minion"))
		return 0
	}
	if *versionsReport {
		fmt.Print(buildversion.Report("minion"))
		return 0
	}
	path, required := *cfgPath, true
	if path == "" {
		path, required = minion.DefaultConfigFile, false
	}
	cfg, err := minion.LoadConfig(path, required)
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion: %v\n", err)
		return 2
	}
	for flagVal, dst := range map[*string]*string{id: &cfg.ID, masterURL: &cfg.Master, rootDir: &cfg.RootDir, logLevel: &cfg.LogLevel} {
		if *flagVal != "" {
			*dst = *flagVal
		}
	}
	if err := cfg.SetDefaults(); err != nil {
		fmt.Fprintf(os.Stderr, "minion: %v\n", err)
		return 2
	}
	log, closeLog, err := logging.Open(logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat, File: cfg.LogFile})
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion: %v\n", err)
		return 2
	}
	defer func() { _ = closeLog() }()
	if os.Getenv("GOGC") == "" {
		// A state run allocates a few megabytes per hundred states and
		// frees them at its end; collecting at 200% growth instead of
		// 100% halves the collections during a run (a 500-state no-op
		// run is about a tenth faster) for a few megabytes more at peak.
		debug.SetGCPercent(200)
	}
	m, err := minion.New(cfg, minion.Options{Logger: log})
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		log.Error("minion failed", "err", err)
		return 1
	}
	return 0
}
