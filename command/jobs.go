package command

import (
	"fmt"
	"time"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/target"
)

// runJobs is `ctl jobs list` and `ctl jobs show JID`.
func (r *runner) runJobs(words []string) int {
	if len(words) == 0 {
		return r.usage("ctl jobs list | ctl jobs show JID")
	}
	switch words[0] {
	case "list":
		if len(words) != 1 {
			return r.usage("ctl jobs list takes no argument")
		}
	case "show":
		if len(words) != 2 {
			return r.usage("ctl jobs show JID")
		}
		if !proto.ValidJID(words[1]) {
			return r.usage(fmt.Sprintf("%q is not a job id (20 digits)", words[1]))
		}
	default:
		return r.usage(fmt.Sprintf("unknown jobs action %q (list, show)", words[0]))
	}
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	if words[0] == "list" {
		var rep proto.JobsListReply
		if err := c.request(proto.OpJobsList, proto.JobsListRequest{Limit: r.g.Limit}, &rep, 30*time.Second); err != nil {
			return r.fail(err)
		}
		out := map[string]any{}
		for _, j := range rep.Jobs {
			out[j.JID] = map[string]any{
				"Function": j.Fun, "Arguments": nonNilArgs(j.Arg), "Target": j.Target.Expr, "Target-type": tgtType(j.Target),
				"User": j.User, "StartTime": j.Start.Local().Format("2006, Jan 02 15:04:05.000"), "Minions": len(j.Minions),
			}
		}
		if err := output.Value(r.opts(), out); err != nil {
			return r.fail(err)
		}
		return exitOK
	}
	var rep proto.JobsShowReply
	if err := c.request(proto.OpJobsShow, proto.JobsShowRequest{JID: words[1]}, &rep, 30*time.Second); err != nil {
		return r.fail(err)
	}
	j := rep.Job
	if r.format == output.Text {
		fmt.Fprintln(r.stdout, jobHeader(j))
	}
	p := output.NewPrinter(r.opts(), j.Minions)
	failed := false
	for _, ret := range rep.Returns {
		c.resolveChunked(&ret)
		p.Add(ret.ID, ret.Return, !ret.Success)
		failed = failed || !ret.Success
	}
	if missing := p.Finish(); len(missing) > 0 || failed {
		return exitFailed
	}
	return exitOK
}

// jobHeader is the first line of `ctl jobs show`. A job record can come
// from a minion (a run of its schedule): the line is escaped, so that no
// field can start a line of its own or drive the terminal.
func jobHeader(j *proto.JobRecord) string {
	return output.Escape(fmt.Sprintf("Job %s: %s on %s (%s) by %s at %s",
		j.JID, j.Fun, j.Target.Expr, tgtType(j.Target), j.User, j.Start.Local().Format(time.RFC3339)))
}

// tgtType names a target's kind as Salt does ("glob", never empty).
func tgtType(t proto.Target) string { return target.KindOf(t.Type, t.Expr) }

func nonNilArgs(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}
