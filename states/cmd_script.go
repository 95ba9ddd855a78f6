package states

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func init() {
	RegisterTyped(Typed[scriptArgs]{
		Name: "cmd.script",
		Doc: `Fetch a script and run it.

source: salt:// URL or absolute path of the script (default: name). args: a string of arguments appended to the command line. template: jinja renders the script first (context, defaults). The script is copied to a private temporary file, made executable and run through shell (it needs a #! line), then removed. cwd, env, runas, shell, stdin, timeout, creates, success_retcodes as for cmd.run.
Changes: {"pid", "retcode", "stdout", "stderr"}; a non-zero retcode fails the state.`,
		Apply:    cmdScript,
		ModWatch: cmdScript,
	})
}

// scriptArgs are cmd.script's arguments.
type scriptArgs struct {
	cmdArgs
	templateArgs
	Source string `salt:"source"`
	Args   string `salt:"args"`
}

// Validate checks the command arguments and the template format.
func (a *scriptArgs) Validate() error {
	if err := a.cmdArgs.Validate(); err != nil {
		return err
	}
	return a.checkTemplate()
}

func cmdScript(ctx context.Context, env *Env, call Call, a *scriptArgs) Result {
	o, err := a.opts(call)
	if err != nil {
		return failErr(call.Name, err)
	}
	source, args := a.Source, a.Args
	if source == "" {
		source = call.Name
	}
	if o.createsExist() {
		return Result{Name: call.Name, Result: True(), Comment: "All files in creates exist"}
	}
	local, err := cacheSource(ctx, env, call, source)
	if err != nil {
		return failErr(call.Name, err)
	}
	if call.Test {
		return runShell(ctx, env, call, o, "")
	}
	var text []byte
	if a.Template != "" {
		if env == nil || env.Render == nil {
			return failErr(call.Name, call.ArgErrorf("template", "is jinja but no template renderer is available"))
		}
		if text, err = os.ReadFile(local); err != nil {
			return failErr(call.Name, err)
		}
		tname, _, _ := strings.Cut(strings.TrimPrefix(source, "salt://"), "?") // as file.managed names it
		if text, err = env.Render.RenderTemplate(ctx, text, tname, a.renderContext()); err != nil {
			return fail(call.Name, "Unable to render template for %s: %v", source, err)
		}
	}
	dir, err := os.MkdirTemp("", "brine-script-")
	if err != nil {
		return failErr(call.Name, err)
	}
	defer os.RemoveAll(dir)
	script := dir + "/script"
	if err := writeScript(script, local, text); err != nil {
		return failErr(call.Name, err)
	}
	if o.runas != "" {
		u, err := lookupUser(o.runas)
		if err != nil {
			return failErr(call.Name, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{dir, script} {
			if err := os.Chown(p, uid, gid); err != nil {
				return failErr(call.Name, err)
			}
		}
	}
	line := shellQuote(script)
	if args != "" {
		line += " " + args
	}
	return runShell(ctx, env, call, o, line)
}

// writeScript writes the rendered text, or a copy of src, executable.
func writeScript(dst, src string, text []byte) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	if text != nil {
		_, err = out.Write(text)
	} else {
		var in *os.File
		if in, err = os.Open(src); err == nil {
			_, err = io.Copy(out, in)
			in.Close()
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unable to write script %s: %w", dst, err)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
