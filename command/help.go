package command

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// subcommand is one of ctl's commands, for `ctl COMMAND -h`, the shell
// completions and the manual page, which all read this table.
type subcommand struct {
	name  string
	usage []string
	about string
	// flags are the global flags that matter to this command.
	flags []string
	// words are the command's fixed next words, for completion.
	words []string
}

var subcommands = []subcommand{
	{
		name:  "FUNCTION",
		usage: []string{"ctl [FLAGS] FUNCTION TARGET [ARG...] [KEY=VALUE...]", "ctl [FLAGS] TARGET FUNCTION [ARG...]   (Salt's order)"},
		about: "Run an execution function on the minions TARGET matches and print their returns as they arrive. TARGET is an id glob, or key:value for a grain; -L, -G, -P, -E, -I, -J, -S, -C, -X and -N say how to read it.",
		flags: []string{"--timeout", "--async", "--batch", "--subset", "--out", "--out-file", "--out-indent", "--state-output", "--state-verbose", "--show-jid", "--verbose", "--summary", "--hide-timeout", "--wait-for-down", "--no-color", "--force-color"},
	},
	{
		name:  "key",
		usage: []string{"ctl key list|accept|reject|delete|finger [ID|--all] [--yes]", "ctl key -L | -l acc|pre|rej|den|all | -a ID | -A | -r ID | -R | -d ID | -D | -f ID | -F [-y]"},
		about: "Manage minion keys as salt-key does. Accepting or rejecting asks for confirmation on a terminal; elsewhere give --yes. IDs are fnmatch globs.",
		flags: []string{"--all", "--yes", "--out", "--key-state"},
		words: []string{"list", "accept", "reject", "delete", "finger"},
	},
	{
		name:  "jobs",
		usage: []string{"ctl jobs list [--limit N]", "ctl jobs show JID"},
		about: "List the jobs in the job cache, or show one job's returns.",
		flags: []string{"--limit", "--out"},
		words: []string{"list", "show"},
	},
	{
		name:  "events",
		usage: []string{"ctl events [TAG-GLOB]"},
		about: "Follow the event bus, printing each event (tag and data) as one JSON line, until interrupted.",
	},
	{
		name:  "run",
		usage: []string{"ctl run RUNNER.FUNCTION [ARG...] [KEY=VALUE...]"},
		about: "Run a runner on the master (salt-run). `ctl run doc.runner` lists the runners and their docs, `ctl run doc.wheel` the wheel functions.",
		flags: []string{"--out", "--timeout"},
	},
	{
		name:  "cloud",
		usage: []string{"ctl cloud create -p PROFILE NAME...", "ctl cloud destroy NAME... [--yes]", "ctl cloud list", "ctl cloud show NAME...", "ctl cloud profiles"},
		about: "Create and destroy cloud instances that join the master as minions with single-use join tokens (salt-cloud). create works in parallel, shows a live progress line on a terminal and waits until each node joined and ran its startup_states (--timeout bounds that; default 15 minutes). See docs/cloud.md.",
		flags: []string{"--profile", "--yes", "--out", "--timeout"},
		words: []string{"create", "destroy", "list", "show", "profiles"},
	},
	{
		name:  "cp",
		usage: []string{"ctl cp [--makedirs] TARGET SRC... DEST"},
		about: "Copy small local files (1 MiB in all) to DEST on the targeted minions, as salt-cp does: DEST is the file for one source, else a directory. Larger files belong on the file server (salt://) with cp.get_file.",
		flags: []string{"--makedirs", "--timeout", "--out"},
	},
	{
		name:  "api-token",
		usage: []string{"ctl api-token"},
		about: "Print the operator's token for the HTTP API's /login.",
	},
	{
		name:  "completion",
		usage: []string{"ctl completion bash|zsh"},
		about: "Print a shell completion script: `source <(ctl completion bash)`.",
		words: []string{"bash", "zsh"},
	},
	{
		name:  "man",
		usage: []string{"ctl man"},
		about: "Print ctl's manual page (roff) built from this help: `ctl man > ctl.1`.",
	},
}

func findSubcommand(name string) (subcommand, bool) {
	for _, s := range subcommands {
		if s.name == name {
			return s, true
		}
	}
	return subcommand{}, false
}

// commandHelp is `ctl COMMAND -h`.
func commandHelp(w io.Writer, s subcommand) {
	for i, u := range s.usage {
		if i == 0 {
			fmt.Fprintf(w, "usage: %s\n", u)
		} else {
			fmt.Fprintf(w, "       %s\n", u)
		}
	}
	fmt.Fprintf(w, "\n%s\n", wrap(s.about, 76, ""))
	defer fmt.Fprint(w, exitCodesHelp)
	if len(s.flags) == 0 {
		fmt.Fprintln(w, "\nThe global flags (ctl -h) apply.")
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	specs := flagsByName()
	for _, f := range s.flags {
		if spec, ok := specs[f]; ok {
			fmt.Fprintf(w, "  %-28s %s\n", strings.Join(spec.names, ", ")+map[bool]string{true: " V", false: ""}[spec.value], spec.help)
		}
	}
	fmt.Fprintln(w, "\nThe other global flags (ctl -h) apply too.")
}

const exitCodesHelp = `
Exit codes: 0 all returned and succeeded, 1 a minion failed or did not return,
2 bad usage or input, 3 the master cannot be reached.
`

func flagsByName() map[string]flagSpec {
	out := map[string]flagSpec{}
	for _, s := range flagSpecs() {
		for _, n := range s.names {
			out[n] = s
		}
	}
	return out
}

func wrap(text string, width int, indent string) string {
	var lines []string
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line)+len(w)+1 > width && strings.TrimSpace(line) != "" {
			lines = append(lines, line)
			line = indent
		}
		if strings.TrimSpace(line) != "" {
			line += " "
		}
		line += w
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n")
}

// allFlagNames lists every flag, target-type flags included, sorted.
func allFlagNames() []string {
	var out []string
	for _, s := range flagSpecs() {
		out = append(out, s.names...)
	}
	for f := range tgtFlags {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// runCompletion is `ctl completion bash|zsh`.
func (r *runner) runCompletion(words []string) int {
	if len(words) != 1 {
		return r.usage("ctl completion bash|zsh")
	}
	var names []string
	sub := map[string]string{}
	for _, s := range subcommands {
		if s.name == "FUNCTION" {
			continue
		}
		names = append(names, s.name)
		if len(s.words) > 0 {
			sub[s.name] = strings.Join(s.words, " ")
		}
	}
	flags := strings.Join(allFlagNames(), " ")
	switch words[0] {
	case "bash":
		fmt.Fprintf(r.stdout, `# bash completion for ctl: source <(ctl completion bash)
_ctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} first=""
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in -*) ;; *) first=${COMP_WORDS[i]}; break ;; esac
    done
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "%s" -- "$cur"))
        return
    fi
    case $first in
`, flags)
		keys := make([]string, 0, len(sub))
		for k := range sub {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(r.stdout, "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", k, sub[k])
		}
		fmt.Fprintf(r.stdout, `        "") COMPREPLY=($(compgen -W "%s" -- "$cur")); return ;;
    esac
}
complete -F _ctl ctl
`, strings.Join(names, " "))
	case "zsh":
		fmt.Fprintf(r.stdout, `#compdef ctl
# zsh completion for ctl: ctl completion zsh > "${fpath[1]}/_ctl"
_ctl() {
    local -a cmds flags
    cmds=(%s)
    flags=(%s)
    if [[ $words[CURRENT] == -* ]]; then
        compadd -- $flags
        return
    fi
    local first=""
    local w
    for w in ${words[2,CURRENT-1]}; do
        [[ $w == -* ]] || { first=$w; break; }
    done
    case $first in
`, strings.Join(names, " "), flags)
		keys := make([]string, 0, len(sub))
		for k := range sub {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(r.stdout, "        %s) compadd -- %s ;;\n", k, sub[k])
		}
		fmt.Fprint(r.stdout, `        "") compadd -- $cmds ;;
    esac
}
compdef _ctl ctl
`)
	default:
		return r.usage(fmt.Sprintf("completion for %q: use bash or zsh", words[0]))
	}
	return exitOK
}

// runMan is `ctl man`: the manual page, from the same help text.
func (r *runner) runMan() int {
	esc := func(s string) string {
		s = strings.ReplaceAll(s, `\`, `\e`)
		s = strings.ReplaceAll(s, "-", `\-`)
		if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
			s = `\&` + s
		}
		return s
	}
	w := r.stdout
	fmt.Fprintln(w, `.TH CTL 1 "" "Brine" "Brine manual"`)
	fmt.Fprintln(w, ".SH NAME\nctl \\- the Brine operator's command line")
	fmt.Fprintln(w, ".SH SYNOPSIS")
	for _, s := range subcommands {
		for _, u := range s.usage {
			fmt.Fprintf(w, ".B %s\n.br\n", esc(u))
		}
	}
	fmt.Fprintln(w, ".SH COMMANDS")
	for _, s := range subcommands {
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", esc(s.name), esc(s.about))
	}
	fmt.Fprintln(w, ".SH OPTIONS")
	for _, s := range flagSpecs() {
		names := strings.Join(s.names, ", ")
		if s.value {
			names += " VALUE"
		}
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", esc(names), esc(s.help))
	}
	fmt.Fprintln(w, ".SH EXIT STATUS\n0 all returned and succeeded, 1 a minion failed or did not return, 2 bad usage or input, 3 the master cannot be reached.")
	fmt.Fprintln(w, ".SH SEE ALSO\nmaster(8), minion(8); the docs/ directory of the Brine source.")
	return exitOK
}
