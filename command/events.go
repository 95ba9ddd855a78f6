package command

import (
	"context"
	"encoding/json"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

// compileTagGlob reads a tag glob as the reactor does (Python's fnmatch:
// '*' crosses '/'), refusing an unterminated class.
func compileTagGlob(pattern string) (*glob.Glob, error) { return glob.CompileFnmatch(pattern) }

// runEvents is `ctl events [TAG-GLOB]`: one JSON object per line.
func (r *runner) runEvents(words []string) int {
	if len(words) > 1 {
		return r.usage("ctl events [TAG-GLOB]")
	}
	pattern := "*"
	if len(words) == 1 {
		pattern = words[0]
	}
	g, err := compileTagGlob(pattern)
	if err != nil {
		return r.usage(err.Error())
	}
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	lines := make(chan []byte, 1024)
	sub, err := c.nc.Subscribe(proto.SubjectEvent+".>", func(m *nats.Msg) {
		var ev proto.Event
		if json.Unmarshal(m.Data, &ev) != nil || !g.Match(ev.Tag) {
			return
		}
		b, _ := json.Marshal(ev)
		select {
		case lines <- b:
		case <-ctx.Done():
		}
	})
	if err != nil {
		return r.fail(err)
	}
	defer sub.Unsubscribe()
	sub.SetPendingLimits(-1, -1)
	if err := c.nc.Flush(); err != nil {
		return r.fail(&unreachableError{err})
	}
	closed := make(chan struct{})
	c.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case <-closed:
			return r.fail(&unreachableError{fmt.Errorf("connection to the master lost")})
		case b := <-lines:
			if _, err := fmt.Fprintf(r.stdout, "%s\n", output.EscapeJSON(b)); err != nil {
				return exitOK // reader went away (e.g. head)
			}
		}
	}
}
