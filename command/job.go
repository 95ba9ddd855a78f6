package command

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

var funNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

// jobResult is what one run of a function on a target produced.
type jobResult struct {
	failed     bool // a minion returned failure
	failedN    int  // how many minions returned failure
	targeted   int
	unknownFun bool // a minion does not know the function
	missing    []string
}

// runFunction is `ctl FUNCTION TARGET [ARG...]`.
func (r *runner) runFunction(words []string) int {
	if len(words) < 2 {
		return r.usage("a function needs a target: ctl FUNCTION TARGET [ARG...] (e.g. ctl test.ping '*')")
	}
	fun, tgt := words[0], words[1]
	// Salt's order (ctl '*' test.ping) is understood too.
	if !funNameRe.MatchString(fun) && funNameRe.MatchString(tgt) {
		fun, tgt = tgt, fun
	}
	if !funNameRe.MatchString(fun) {
		return r.usage(fmt.Sprintf("%q is not a function name (module.function)", fun))
	}
	args, kwargs, err := parseFunArgs(words[2:])
	if err != nil {
		return r.usage(err.Error())
	}
	return r.runParsed(fun, tgt, args, kwargs)
}

// runParsed runs fun with its arguments on the target, as ctl FUNCTION
// TARGET does.
func (r *runner) runParsed(fun, tgt string, args []any, kwargs map[string]any) int {
	t := proto.Target{Expr: tgt, Type: r.g.TgtType}
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	if r.g.Batch != "" {
		return r.runBatch(c, t, fun, args, kwargs)
	}
	if r.g.Subset > 0 {
		if t, err = r.subset(c, t); err != nil {
			return r.fail(err)
		}
	}
	jid := proto.NewJID(time.Now())
	if r.g.Verbose {
		fmt.Fprintf(r.stdout, "Executing job with jid %s\n-------------------------------------------\n\n", jid)
	} else if r.g.ShowJID {
		fmt.Fprintf(r.stdout, "jid: %s\n", jid)
	}
	if r.g.Async {
		var rep proto.PublishReply
		if err := c.request(proto.OpPublish, proto.PublishRequest{JID: jid, Target: t, Fun: fun, Arg: args, Kwarg: kwargs}, &rep, 10*time.Second); err != nil {
			return r.fail(err)
		}
		fmt.Fprintf(r.stdout, "Executed command with job ID: %s\n", rep.JID)
		return 0
	}
	p := r.printer(nil)
	res, err := r.execute(c, jid, t, fun, args, kwargs, p)
	if err != nil {
		return r.fail(err)
	}
	p.Finish()
	if r.g.Summary {
		r.printSummary(res)
	}
	return res.exitCode()
}

// subset is Salt's --subset N: the target narrowed to N of its minions,
// picked at random.
func (r *runner) subset(c *client, t proto.Target) (proto.Target, error) {
	var tr proto.TargetReply
	if err := c.request(proto.OpTargets, proto.TargetRequest{Target: t}, &tr, 10*time.Second); err != nil {
		return t, err
	}
	ids := tr.Minions
	if len(ids) == 0 {
		return t, proto.Errorf(proto.ErrNoMinions, "no minion matches %q", t.Expr)
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	if len(ids) > r.g.Subset {
		ids = ids[:r.g.Subset]
	}
	sort.Strings(ids)
	return proto.Target{Type: "list", Expr: strings.Join(ids, ",")}, nil
}

// printSummary is Salt's --summary block.
func (r *runner) printSummary(res jobResult) {
	line := "-------------------------------------------"
	returned := res.targeted - len(res.missing)
	fmt.Fprintf(r.stdout, "\n\n%s\nSummary\n%s\n", line, line)
	fmt.Fprintf(r.stdout, "# of minions targeted: %d\n", res.targeted)
	fmt.Fprintf(r.stdout, "# of minions returned: %d\n", returned)
	fmt.Fprintf(r.stdout, "# of minions that did not return: %d\n", len(res.missing))
	fmt.Fprintf(r.stdout, "# of minions with errors: %d\n", res.failedN)
	fmt.Fprintln(r.stdout, line)
	if len(res.missing) > 0 {
		missing := append([]string(nil), res.missing...)
		sort.Strings(missing)
		fmt.Fprintf(r.stdout, "Minions not responding: %s\n%s\n", output.Escape(strings.Join(missing, ", ")), line)
	}
}

func (res jobResult) exitCode() int {
	switch {
	case res.unknownFun:
		return 2
	case res.failed || len(res.missing) > 0:
		return 1
	}
	return 0
}

// execute publishes one job and streams its returns into p until every
// expected minion has returned, or the timeout has passed and no missing
// minion reports the job as still running.
func (r *runner) execute(c *client, jid string, t proto.Target, fun string, args []any, kwargs map[string]any, p *output.Printer) (jobResult, error) {
	var res jobResult
	type event struct {
		ret      *proto.Return
		value    []byte // ret's return value, as JSON
		progress string
	}
	events := make(chan event, 4096)
	retSub, err := c.nc.Subscribe(proto.ReturnsFilter(jid), func(m *nats.Msg) {
		var ret proto.Return
		if value, err := decodeReturn(m.Data, &ret); err == nil {
			// The subject, which only that minion may publish to, says
			// who returned; the body could claim anyone.
			if jid, id, ok := proto.ParseReturnSubject(m.Subject); ok {
				ret.JID, ret.ID = jid, id
			}
			events <- event{ret: &ret, value: value}
		}
	})
	if err != nil {
		return res, err
	}
	defer retSub.Unsubscribe()
	progSub, err := c.nc.Subscribe(proto.ProgressFilter(jid), func(m *nats.Msg) {
		if _, id, ok := proto.ParseReturnSubject(m.Subject); ok {
			events <- event{progress: id}
		}
	})
	if err != nil {
		return res, err
	}
	defer progSub.Unsubscribe()
	retSub.SetPendingLimits(-1, -1)
	// No flush: the server handles a connection's protocol in order, so
	// these subscriptions are in place before the publish request below
	// reaches the master (a round trip less per job).
	var rep proto.PublishReply
	if err := c.request(proto.OpPublish, proto.PublishRequest{JID: jid, Target: t, Fun: fun, Arg: args, Kwarg: kwargs}, &rep, 10*time.Second); err != nil {
		return res, err
	}
	p.Expect(rep.Minions)
	res.targeted = len(rep.Minions)
	expected := map[string]bool{}
	for _, id := range rep.Minions {
		expected[id] = true
	}
	// Minions the master knows are not connected are reported at once
	// (Salt's "[Not connected]") instead of costing the whole timeout.
	if !r.g.WaitForDown && len(rep.Down) > 0 {
		p.NotConnected(rep.Down)
		for _, id := range rep.Down {
			if expected[id] {
				delete(expected, id)
				res.missing = append(res.missing, id)
			}
		}
	}
	returned := map[string]bool{}
	lastSeen := map[string]time.Time{}
	timeout := time.Duration(r.g.Timeout * float64(time.Second))
	// A minion running a long job first reports it after ProgressInterval:
	// until then, silence does not mean it is gone, whatever the timeout.
	firstReport := time.Now().Add(proto.ProgressInterval + time.Second)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for len(returned) < len(expected) {
		select {
		case ev := <-events:
			if ev.progress != "" {
				lastSeen[ev.progress] = time.Now()
				continue
			}
			ret := ev.ret
			if returned[ret.ID] || !expected[ret.ID] {
				continue
			}
			returned[ret.ID] = true
			chunked := ret.Chunked != nil
			c.resolveChunked(ret)
			failed := !ret.Success
			if failed {
				res.failed = true
				res.failedN++
			}
			if ret.Error != nil && ret.Error.Kind == proto.ErrUnknownFunction {
				res.unknownFun = true
			}
			if chunked || ev.value == nil {
				p.Add(ret.ID, ret.Return, failed)
			} else if err := p.AddJSON(ret.ID, ev.value, failed); err != nil {
				// checked when the message came: not reached
				p.Add(ret.ID, "ERROR: the return could not be read: "+err.Error(), true)
			}
		case <-timer.C:
			// Keep waiting while a missing minion says it is still working.
			alive := time.Time{}
			for id := range expected {
				if !returned[id] && lastSeen[id].After(alive) {
					alive = lastSeen[id]
				}
			}
			grace := alive.Add(2*proto.ProgressInterval + time.Second)
			if grace.Before(firstReport) {
				grace = firstReport
			}
			if time.Now().Before(grace) {
				timer.Reset(time.Until(grace))
				continue
			}
			for id := range expected {
				if !returned[id] {
					res.missing = append(res.missing, id)
				}
			}
			return res, nil
		}
	}
	return res, nil
}

// runBatch runs the function on at most N minions at a time: as one
// returns, the next starts, as Salt's --batch does.
func (r *runner) runBatch(c *client, t proto.Target, fun string, args []any, kwargs map[string]any) int {
	var tr proto.TargetReply
	if err := c.request(proto.OpTargets, proto.TargetRequest{Target: t}, &tr, 10*time.Second); err != nil {
		return r.fail(err)
	}
	if len(tr.Minions) == 0 {
		return r.fail(proto.Errorf(proto.ErrNoMinions, "no minions matched the target %q; no command was sent", t.Expr))
	}
	size, err := batchSize(r.g.Batch, len(tr.Minions))
	if err != nil {
		return r.usage(err.Error())
	}
	p := r.printer(tr.Minions)
	var (
		mu    sync.Mutex
		total jobResult
		wg    sync.WaitGroup
		slots = make(chan struct{}, size)
		errs  []error
	)
	for _, id := range tr.Minions {
		slots <- struct{}{}
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			defer func() { <-slots }()
			res, err := r.execute(c, proto.NewJID(time.Now()), proto.Target{Expr: id, Type: "list"}, fun, args, kwargs, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			total.failed = total.failed || res.failed
			total.unknownFun = total.unknownFun || res.unknownFun
			total.missing = append(total.missing, res.missing...)
		}(id)
	}
	wg.Wait()
	p.Finish()
	if len(errs) > 0 {
		return r.fail(errs[0])
	}
	return total.exitCode()
}

// batchSize reads N or N% of total.
func batchSize(s string, total int) (int, error) {
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(pct, 64)
		if err != nil || f <= 0 || f > 100 {
			return 0, fmt.Errorf("--batch %q: want N or N%% with 0 < N <= 100", s)
		}
		return max(1, int(math.Ceil(float64(total)*f/100))), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--batch %q: want a positive number or a percentage", s)
	}
	return n, nil
}
