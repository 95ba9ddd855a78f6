// Package command is ctl, the operator's command line: it parses the
// Salt-style command line and talks to the master over the bus as a signed
// operator client. It knows the master only through proto.
package command

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/brine-cm/brine/internal/version"
	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

// Exit codes, as SPEC.md gives them.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitUnreachable = 3
)

type runner struct {
	g      *globals
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	tty    bool // stdout is a terminal
	errTTY bool // stderr is a terminal
	inTTY  bool // stdin is a terminal
	format output.Format
}

// Run is ctl's main: it returns the process exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	r := &runner{stdin: stdin, stdout: stdout, stderr: stderr}
	if f, ok := stdout.(*os.File); ok {
		r.tty = output.IsTerminal(f)
	}
	if f, ok := stderr.(*os.File); ok {
		r.errTTY = output.IsTerminal(f)
	}
	if f, ok := stdin.(*os.File); ok {
		r.inTTY = output.IsTerminal(f)
	}
	args, err := translateSaltKey(args)
	if err != nil {
		return r.usage(err.Error())
	}
	g, err := parseArgs(args)
	if err != nil {
		return r.usage(err.Error())
	}
	r.g = g
	if g.Version {
		fmt.Fprintln(stdout, version.Line("ctl"))
		return exitOK
	}
	if g.VersionsReport {
		fmt.Fprint(stdout, version.Report("ctl"))
		return exitOK
	}
	if g.Help && len(g.Positional) > 0 {
		// ctl COMMAND -h: that command's help; ctl FUNCTION -h: running
		// functions.
		s, ok := findSubcommand(g.Positional[0])
		if !ok {
			s, _ = findSubcommand("FUNCTION")
		}
		commandHelp(stdout, s)
		return exitOK
	}
	if g.Help || len(g.Positional) == 0 {
		r.help(stdout)
		if g.Help {
			return exitOK
		}
		return exitUsage
	}
	if r.format, err = output.ParseFormat(g.Out); err != nil {
		return r.usage(err.Error())
	}
	applyCtlDefaults(g)
	if g.ForceColor && g.NoColor {
		return r.usage("--force-color and --no-color contradict each other")
	}
	if g.OutFileAppend && g.OutFile == "" {
		return r.usage("--out-file-append needs --out-file FILE")
	}
	if g.OutFile != "" {
		// Salt's --out-file: the output goes to the file; errors and the
		// progress line stay on stderr.
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if g.OutFileAppend {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(g.OutFile, flags, 0o644)
		if err != nil {
			return r.usage(fmt.Sprintf("--out-file: %v", err))
		}
		defer func() {
			if err := f.Close(); err != nil {
				fmt.Fprintf(stderr, "ctl: --out-file %s: %v\n", g.OutFile, err)
			}
		}()
		r.stdout, r.tty = f, false
	}
	words := g.Positional
	switch words[0] {
	case "key":
		return r.runKey(words[1:])
	case "jobs":
		return r.runJobs(words[1:])
	case "events":
		return r.runEvents(words[1:])
	case "run":
		return r.runRunner(words[1:])
	case "api-token":
		return r.runAPIToken()
	case "cloud":
		return r.runCloud(words[1:])
	case "cp":
		return r.runCp(words[1:])
	case "completion":
		return r.runCompletion(words[1:])
	case "man":
		return r.runMan()
	case "help":
		if len(words) > 1 {
			if s, ok := findSubcommand(words[1]); ok {
				commandHelp(stdout, s)
				return exitOK
			}
		}
		r.help(stdout)
		return exitOK
	}
	return r.runFunction(words)
}

func (r *runner) opts() output.Options {
	return output.Options{
		Format:      r.format,
		Color:       r.g.ForceColor || (r.tty && !r.g.NoColor && os.Getenv("NO_COLOR") == ""),
		Out:         r.stdout,
		Err:         r.stderr,
		Indent:      r.g.OutIndent,
		IndentSet:   r.g.OutIndentSet,
		StateOutput: r.g.StateOutput,
		StateQuiet:  !r.g.StateVerbose,
		HideMissing: r.g.HideTimeout,
	}
}

func (r *runner) printer(expected []string) *output.Printer {
	o := r.opts()
	o.Progress = r.errTTY && r.format == output.Text
	return output.NewPrinter(o, expected)
}

// usage reports a bad command line: exit 2.
func (r *runner) usage(msg string) int {
	fmt.Fprintf(r.stderr, "ctl: %s\n", escapeLines(msg))
	return exitUsage
}

// fail reports err with the exit code its kind calls for.
func (r *runner) fail(err error) int {
	fmt.Fprintf(r.stderr, "ctl: %s\n", escapeLines(err.Error()))
	var ue *unreachableError
	if errors.As(err, &ue) {
		return exitUnreachable
	}
	var pe *proto.Error
	if errors.As(err, &pe) {
		switch pe.Kind {
		case proto.ErrBadTarget, proto.ErrNoMinions, proto.ErrUnknownFunction, proto.ErrBadArgument, proto.ErrBadRequest, proto.ErrNotFound:
			return exitUsage
		}
	}
	return exitFailed
}

// escapeLines keeps the line breaks of a message (a render error's
// context, say) but escapes every other control character: a message can
// carry text a minion chose.
func escapeLines(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = output.Escape(l)
	}
	return strings.Join(lines, "\n")
}

func (r *runner) help(w io.Writer) {
	fmt.Fprint(w, `usage: ctl [FLAGS] FUNCTION TARGET [ARG...] [KEY=VALUE...]
       ctl key list|accept|reject|delete|finger [ID|--all] [--yes]
       ctl jobs list | ctl jobs show JID
       ctl events [TAG-GLOB]
       ctl run RUNNER.FUNCTION [ARG...] [KEY=VALUE...]   (ctl run doc.runner lists them)
       ctl cloud create -p PROFILE NAME... | destroy NAME... [--yes] | list | show NAME...
       ctl api-token   (the operator's token for the HTTP API's /login)

TARGET is an id glob, or key:value for a grain; these flags say how to read it:
  -L list a,b,c   -G grain   -P grain regex   -E id regex   -I pillar
  -C compound (G@roles:web and not L@a,b)   -S subnet   -X expr-lang expression

Flags (anywhere on the line):
`)
	for _, s := range flagSpecs() {
		fmt.Fprintf(w, "  %-28s %s\n", strings.Join(s.names, ", ")+map[bool]string{true: " V", false: ""}[s.value], s.help)
	}
	fmt.Fprint(w, exitCodesHelp)
}
