package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/brine-cm/brine/command"
	"github.com/brine-cm/brine/internal/logging"
	"github.com/brine-cm/brine/minion"
	"github.com/brine-cm/brine/output"
)

// runCall is `minion call` (salt-call): run a function on this host, with
// this minion's identity and the master's files and pillar, or with
// --local from this host's file_roots and pillar_roots.
func runCall(args []string) int {
	fs := flag.NewFlagSet("minion call", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: minion call [-c FILE] [--local] [--out FORMAT] FUNCTION [ARG...] [KEY=VALUE...]

Run one execution function (state.apply, grains.items, pillar.items, ...) on
this host as salt-call does: with this minion's id, key and grains, and the
master's files and pillar; the running minion keeps taking jobs. With --local
(or file_client: local) no master is needed: files come from file_roots and
pillar from pillar_roots (default /srv/salt and /srv/pillar).
Exit codes: 0 success, 1 the function failed, 2 bad usage, 3 the master
cannot be reached.

`)
		fs.PrintDefaults()
	}
	cfgPath := fs.String("c", "", "minion config file (default "+minion.DefaultConfigFile+" when present)")
	id := fs.String("id", "", "minion id (default: the config's, else hostname)")
	masterURL := fs.String("master", "", "master bus URL")
	rootDir := fs.String("root-dir", "", "the minion's root_dir (its key)")
	logLevel := fs.String("log-level", "warning", "debug, info, warning or error")
	local := fs.Bool("local", false, "masterless: files and pillar from this host's file_roots and pillar_roots")
	out := fs.String("out", "text", "output format: text, json, yaml, ...")
	if err := fs.Parse(flagsFirst(args)); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "minion call: name a function, e.g. minion call test.ping")
		return 2
	}
	fun := fs.Arg(0)
	fargs, fkwargs, err := command.ParseFunArgs(fs.Args()[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion call: %v\n", err)
		return 2
	}
	format, err := output.ParseFormat(*out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion call: %v\n", err)
		return 2
	}
	path, required := *cfgPath, true
	if path == "" {
		path, required = minion.DefaultConfigFile, false
	}
	cfg, err := minion.LoadConfig(path, required)
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion call: %v\n", err)
		return 2
	}
	for flagVal, dst := range map[*string]*string{id: &cfg.ID, masterURL: &cfg.Master, rootDir: &cfg.RootDir} {
		if *flagVal != "" {
			*dst = *flagVal
		}
	}
	cfg.LogLevel = *logLevel
	if err := cfg.SetDefaults(); err != nil {
		fmt.Fprintf(os.Stderr, "minion call: %v\n", err)
		return 2
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion call: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ret, err := minion.Call(ctx, cfg, minion.Options{Logger: log}, *local, fun, fargs, fkwargs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "minion call: %s\n", output.EscapeLines(err.Error()))
		return 3
	}
	p := output.NewPrinter(output.Options{Format: format, Color: output.IsTerminal(os.Stdout) && os.Getenv("NO_COLOR") == "", Out: os.Stdout, Err: os.Stderr}, []string{"local"})
	p.Add("local", ret.Return, !ret.Success)
	p.Finish()
	switch {
	case ret.Error != nil && ret.Retcode == 254:
		return 2 // no such function
	case !ret.Success:
		return 1
	}
	return 0
}

// flagsFirst moves minion call's own flags (which, as in salt-call, may
// stand anywhere) before the function and its arguments; "--" ends them.
func flagsFirst(args []string) []string {
	takesValue := map[string]bool{"-c": true, "--c": true, "-id": true, "--id": true, "-master": true, "--master": true,
		"-root-dir": true, "--root-dir": true, "-log-level": true, "--log-level": true, "-out": true, "--out": true}
	isBool := map[string]bool{"-local": true, "--local": true, "-h": true, "-help": true, "--help": true}
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		name, _, hasVal := strings.Cut(a, "=")
		switch {
		case takesValue[name] && !hasVal && i+1 < len(args):
			flags = append(flags, a, args[i+1])
			i++
		case takesValue[name] || isBool[name]:
			flags = append(flags, a)
		default:
			rest = append(rest, a)
		}
	}
	return append(append(flags, "--"), rest...)
}
