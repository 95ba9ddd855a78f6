package command

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

const cloudUsage = `ctl cloud create -p PROFILE NAME...   create nodes (in parallel) and wait until they joined
                                      and ran their startup states
ctl cloud destroy NAME... [--yes]     terminate nodes, delete their keys and mine data
ctl cloud list                        list the nodes the master created
ctl cloud show NAME...                show nodes
ctl cloud profiles                    list the profiles`

// cloudCreateWait is how long ctl waits for cloud.create (the master
// bounds each node's wait itself; --timeout sets it when given).
const cloudCreateWait = 15 * time.Minute

// runCloud is `ctl cloud ...`, a front of the cloud.* runners.
func (r *runner) runCloud(words []string) int {
	if len(words) == 0 {
		return r.usage(cloudUsage)
	}
	switch words[0] {
	case "create":
		return r.cloudCreate(words[1:])
	case "destroy":
		return r.cloudDestroy(words[1:])
	case "list", "query":
		if len(words) > 1 {
			return r.usage("ctl cloud list takes no arguments")
		}
		return r.cloudRunner("cloud.list", nil, nil, 30*time.Second)
	case "show":
		if len(words) < 2 {
			return r.usage("ctl cloud show NAME...")
		}
		return r.cloudRunner("cloud.show", toAny(words[1:]), nil, 30*time.Second)
	case "profiles", "list-profiles", "list_profiles":
		return r.cloudRunner("cloud.list_profiles", toAny(words[1:]), nil, 30*time.Second)
	}
	return r.usage(fmt.Sprintf("unknown cloud command %q\n%s", words[0], cloudUsage))
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func (r *runner) cloudRunner(fun string, args []any, kwargs map[string]any, timeout time.Duration) int {
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	var rep proto.RunnerReply
	if err := c.request(proto.OpRunner, proto.RunnerRequest{Fun: fun, Arg: args, Kwarg: kwargs}, &rep, timeout); err != nil {
		return r.fail(err)
	}
	if err := output.Value(r.opts(), rep.Return); err != nil {
		return r.fail(err)
	}
	return exitOK
}

func (r *runner) cloudCreate(names []string) int {
	if r.g.Profile == "" || len(names) == 0 {
		return r.usage("ctl cloud create -p PROFILE NAME...")
	}
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	wait := cloudCreateWait
	if r.g.Timeout != 10 { // --timeout given: it bounds each node's wait
		wait = time.Duration(r.g.Timeout * float64(time.Second))
	}
	var prog *cloudProgress
	if r.errTTY && r.format == output.Text {
		prog = newCloudProgress(r, names)
		sub, err := c.nc.Subscribe(proto.SubjectEvent+".>", prog.onEvent)
		if err == nil {
			defer sub.Unsubscribe()
			sub.SetPendingLimits(-1, -1)
		}
		stop := make(chan struct{})
		defer close(stop)
		go prog.tick(stop)
	}
	kw := map[string]any{"profile": r.g.Profile, "names": toAny(names), "wait": wait.Seconds()}
	var rep proto.RunnerReply
	err = c.request(proto.OpRunner, proto.RunnerRequest{Fun: "cloud.create", Kwarg: kw}, &rep, wait+time.Minute)
	if prog != nil {
		prog.clear()
	}
	if err != nil {
		return r.fail(err)
	}
	if err := output.Value(r.opts(), rep.Return); err != nil {
		return r.fail(err)
	}
	return cloudExit(rep.Return)
}

// cloudExit is 1 when any node's result is false.
func cloudExit(ret any) int {
	m, ok := ret.(map[string]any)
	if !ok {
		return exitFailed
	}
	for _, v := range m {
		if one, ok := v.(map[string]any); ok && one["result"] == false {
			return exitFailed
		}
	}
	return exitOK
}

func (r *runner) cloudDestroy(names []string) int {
	if len(names) == 0 {
		return r.usage("ctl cloud destroy NAME... [--yes]")
	}
	if !r.g.Yes {
		if !r.inTTY {
			return r.usage(fmt.Sprintf("cloud destroy %s: confirm with --yes when not on a terminal", strings.Join(names, ", ")))
		}
		fmt.Fprintf(r.stdout, "The following nodes are going to be destroyed (with their keys and mine data):\n%s\nProceed? [y/N] ", strings.Join(names, "\n"))
		line, _ := bufio.NewReader(r.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(r.stdout, "Aborted.")
			return exitFailed
		}
	}
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	var rep proto.RunnerReply
	if err := c.request(proto.OpRunner, proto.RunnerRequest{Fun: "cloud.destroy", Arg: toAny(names)}, &rep, 10*time.Minute); err != nil {
		return r.fail(err)
	}
	if err := output.Value(r.opts(), rep.Return); err != nil {
		return r.fail(err)
	}
	return cloudExit(rep.Return)
}

// cloudProgress keeps the live line of `ctl cloud create` on a terminal:
// how many nodes are at each step.
type cloudProgress struct {
	r     *runner
	start time.Time
	mu    sync.Mutex
	step  map[string]string // name -> last step
	shown bool
}

var cloudSteps = []string{"creating", "requesting", "joined", "highstated", "failed"}

func newCloudProgress(r *runner, names []string) *cloudProgress {
	p := &cloudProgress{r: r, start: time.Now(), step: map[string]string{}}
	for _, n := range names {
		p.step[n] = "waiting"
	}
	return p
}

func (p *cloudProgress) onEvent(m *nats.Msg) {
	var ev proto.Event
	if json.Unmarshal(m.Data, &ev) != nil {
		return
	}
	parts := strings.Split(ev.Tag, "/")
	name, step := "", ""
	switch {
	case len(parts) == 4 && parts[0] == "salt" && parts[1] == "cloud":
		name, step = parts[2], parts[3]
		if step == "created" {
			step = "joined"
		}
	case len(parts) == 4 && parts[0] == "brine" && parts[1] == "join":
		name, step = parts[2], map[string]string{"accepted": "joined", "refused": "failed"}[parts[3]]
	case len(parts) == 5 && parts[0] == "salt" && parts[1] == "job" && parts[3] == "ret":
		name, step = parts[4], "highstated"
		if ok, _ := ev.Data["success"].(bool); !ok {
			step = "failed"
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ours := p.step[name]; !ours || step == "" {
		return
	}
	p.step[name] = step
}

func (p *cloudProgress) tick(stop <-chan struct{}) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *cloudProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	count := map[string]int{}
	for _, s := range p.step {
		count[s]++
	}
	var parts []string
	for _, s := range append([]string{"waiting"}, cloudSteps...) {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
		}
	}
	fmt.Fprintf(p.r.stderr, "\r\033[K[%d nodes, %s] %s", len(p.step), time.Since(p.start).Round(time.Second), strings.Join(parts, ", "))
	p.shown = true
}

func (p *cloudProgress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.r.stderr, "\r\033[K")
	}
}
