package command

import (
	"context"
	"encoding/json"
	"fmt"
	"os/signal"
	"regexp"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

// globMatch is fnmatch as Salt uses it for tags: '*' crosses '/'.
func globMatch(pattern, s string) (bool, error) {
	re, err := globRegexp(pattern)
	if err != nil {
		return false, err
	}
	return re.MatchString(s), nil
}

func globRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?s)^") // fnmatch: '*' and '?' match newlines too
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(pattern[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("bad glob %q: unclosed [", pattern)
			}
			cls := pattern[i+1 : i+j]
			if strings.HasPrefix(cls, "!") {
				cls = "^" + cls[1:]
			}
			b.WriteString("[" + cls + "]")
			i += j
		default:
			// A byte, not string(c): that would turn each byte of a
			// multi-byte character into a character of its own.
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// runEvents is `ctl events [TAG-GLOB]`: one JSON object per line.
func (r *runner) runEvents(words []string) int {
	if len(words) > 1 {
		return r.usage("ctl events [TAG-GLOB]")
	}
	pattern := "*"
	if len(words) == 1 {
		pattern = words[0]
	}
	re, err := globRegexp(pattern)
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
		if json.Unmarshal(m.Data, &ev) != nil || !re.MatchString(ev.Tag) {
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
