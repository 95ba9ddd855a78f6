package command

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func ctlRun(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// Every command has its own -h, from the table the completions and the
// manual page read.
func TestCommandHelp(t *testing.T) {
	for _, s := range subcommands {
		name := s.name
		if name == "FUNCTION" {
			name = "test.ping"
		}
		out, _, code := ctlRun(name, "-h")
		if code != 0 || !strings.HasPrefix(out, "usage: "+s.usage[0]) || !strings.Contains(out, strings.Fields(s.about)[0]) {
			t.Errorf("ctl %s -h: exit %d\n%s", name, code, out)
		}
	}
	if out, _, _ := ctlRun("help", "jobs"); !strings.HasPrefix(out, "usage: ctl jobs list") {
		t.Errorf("ctl help jobs:\n%s", out)
	}
	if out, _, _ := ctlRun("-h"); !strings.Contains(out, "pprint") {
		t.Errorf("--out's help does not list the registered outputters:\n%s", out)
	}
}

func TestCompletionAndMan(t *testing.T) {
	for _, shell := range []string{"bash", "zsh"} {
		out, _, code := ctlRun("completion", shell)
		if code != 0 || !strings.Contains(out, "--state-output") || !strings.Contains(out, "accept") || !strings.Contains(out, "-N") {
			t.Errorf("completion %s: exit %d\n%s", shell, code, out)
		}
		if path, err := exec.LookPath(shell); err == nil {
			cmd := exec.Command(path, "-n")
			cmd.Stdin = strings.NewReader(out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s -n on the completion script: %v\n%s", shell, err, b)
			}
		}
	}
	if _, _, code := ctlRun("completion", "fish"); code != exitUsage {
		t.Errorf("completion fish: exit %d, want 2", code)
	}
	out, _, code := ctlRun("man")
	if code != 0 || !strings.HasPrefix(out, ".TH CTL 1") || !strings.Contains(out, `\-\-state\-output`) || !strings.Contains(out, ".SH EXIT STATUS") {
		t.Errorf("man: exit %d\n%s", code, out)
	}
}
