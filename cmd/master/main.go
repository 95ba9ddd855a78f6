// Command master runs the Brine master.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/internal/logging"
	buildversion "github.com/brine-cm/brine/internal/version"
	"github.com/brine-cm/brine/master"
)

func main() { os.Exit(run()) }

func run() int {
	if len(os.Args) > 1 && (os.Args[1] == "backup" || os.Args[1] == "restore") {
		return storeTool(os.Args[1], os.Args[2:])
	}
	fs := flag.NewFlagSet("master", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: master [-c FILE] [--root-dir DIR] [--listen HOST:PORT] [--api-listen HOST:PORT] [--log-level LEVEL]\n")
		fmt.Fprintf(fs.Output(), "       master backup [-c FILE] [--root-dir DIR] --out FILE\n")
		fmt.Fprintf(fs.Output(), "       master restore [-c FILE] [--root-dir DIR] [--force] FILE\n\n")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("c", "", "config file (default "+master.DefaultConfigFile+" when present)")
	rootDir := fs.String("root-dir", "", "directory for the bus store, keys and credentials (default "+master.DefaultRootDir+")")
	listen := fs.String("listen", "", "embedded NATS client address (default "+master.DefaultListen+")")
	apiListen := fs.String("api-listen", "", "HTTP API address")
	logLevel := fs.String("log-level", "", "debug, info, warning or error")
	version := fs.Bool("version", false, "print the version and exit")
	versionsReport := fs.Bool("versions-report", false, "print the versions of this build and its libraries, and exit")
	printNATS := fs.Bool("print-nats-config", false, "print the nats-server configuration an external NATS server needs for this master, and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "master: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *version {
		fmt.Println(buildversion.Line("master"))
		return 0
	}
	if *versionsReport {
		fmt.Print(buildversion.Report("master"))
		return 0
	}
	path, required := *cfgPath, true
	if path == "" {
		path, required = master.DefaultConfigFile, false
	}
	cfg, err := master.LoadConfig(path, required)
	if err != nil {
		fmt.Fprintf(os.Stderr, "master: %v\n", err)
		return 2
	}
	if *rootDir != "" {
		cfg.RootDir = *rootDir
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *apiListen != "" {
		if cfg.API == nil {
			cfg.API = &api.Config{}
		}
		cfg.API.Listen = *apiListen
	}
	if *logLevel != "" {
		cfg.LogLevel = *logLevel
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "master: %v\n", err)
		return 2
	}
	log, closeLog, err := logging.Open(logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat, File: cfg.LogFile})
	if err != nil {
		fmt.Fprintf(os.Stderr, "master: %v\n", err)
		return 2
	}
	defer func() { _ = closeLog() }()
	if *printNATS {
		s, err := master.PrintNATSConfig(cfg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "master: %v\n", err)
			return 1
		}
		fmt.Print(s)
		return 0
	}
	if err := checkPorts(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "master: %v\n", err)
		return 1
	}
	if addr := os.Getenv("BRINE_PPROF_LISTEN"); addr != "" {
		// Opt-in profiling endpoint for diagnosing a live master.
		go func() { log.Warn("pprof server stopped", "err", http.ListenAndServe(addr, nil)) }()
	}
	if os.Getenv("GOGC") == "" {
		// The master's heap is mostly per-connection state that lives as
		// long as the fleet; collecting at 50% growth instead of 100% keeps
		// its resident size near that live size for a little more CPU.
		debug.SetGCPercent(50)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := master.New(cfg, log).Run(ctx, nil); err != nil {
		log.Error("master failed", "err", err)
		return 1
	}
	return 0
}

// checkPorts fails at once when an address the master must listen on (the
// embedded bus, the HTTP API) is taken, rather than after the bus's start
// timeout. The port is bound and released here; a process that takes it in
// between still makes the start fail, only later.
func checkPorts(cfg *master.Config) error {
	var addrs [][2]string
	if cfg.NATSURL == "" {
		addrs = append(addrs, [2]string{"listen", cfg.Listen})
	}
	if cfg.API != nil && cfg.API.Listen != "" {
		addrs = append(addrs, [2]string{"api listen", cfg.API.Listen})
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a[1])
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("%s %s: the address is already in use (is another master running?)", a[0], a[1])
			}
			return fmt.Errorf("%s %s: %w", a[0], a[1], err)
		}
		ln.Close()
	}
	return nil
}
