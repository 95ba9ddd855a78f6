package command

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/brine-cm/brine/output"
	"github.com/brine-cm/brine/proto"
)

// runRunner is `ctl run RUNNER.FUNCTION [ARG...] [KEY=VALUE...]`.
func (r *runner) runRunner(words []string) int {
	if len(words) == 0 {
		return r.usage("ctl run RUNNER.FUNCTION [ARG...] [KEY=VALUE...]")
	}
	if !funNameRe.MatchString(words[0]) {
		return r.usage(fmt.Sprintf("%q is not a runner function name (module.function)", words[0]))
	}
	args, kwargs, err := parseFunArgs(words[1:])
	if err != nil {
		return r.usage(err.Error())
	}
	c, err := dial(r.g)
	if err != nil {
		return r.fail(err)
	}
	defer c.close()
	var rep proto.RunnerReply
	timeout := time.Duration(r.g.Timeout*float64(time.Second)) + 30*time.Second
	if strings.HasPrefix(words[0], "state.orch") {
		// An orchestration lasts as long as its steps, each of which has
		// its own timeout on the master.
		timeout = orchestrateWait
	}
	if err := c.request(proto.OpRunner, proto.RunnerRequest{Fun: words[0], Arg: args, Kwarg: kwargs}, &rep, timeout); err != nil {
		return r.fail(err)
	}
	if data, retcode, ok := outputterHighstate(rep.Return); ok {
		return r.printHighstate(data, retcode)
	}
	if err := output.Value(r.opts(), rep.Return); err != nil {
		return r.fail(err)
	}
	switch words[0] {
	case "cloud.create", "cloud.profile", "cloud.destroy", "cloud.action":
		// One node per entry, each with its result: a failed one fails
		// the command, as `ctl cloud` does.
		return cloudExit(rep.Return)
	}
	return exitOK
}

// orchestrateWait is how long ctl waits for an orchestration's result.
const orchestrateWait = 24 * time.Hour

// outputterHighstate recognises Salt's runner return for the highstate
// outputter ({"data": {id: state returns}, "outputter": "highstate",
// "retcode": n}, as state.orchestrate gives).
func outputterHighstate(v any) (map[string]any, int, bool) {
	m, ok := v.(map[string]any)
	if !ok || m["outputter"] != "highstate" {
		return nil, 0, false
	}
	data, ok := m["data"].(map[string]any)
	if !ok {
		return nil, 0, false
	}
	rc := 0
	switch n := m["retcode"].(type) {
	case float64:
		rc = int(n)
	case json.Number:
		i, _ := n.Int64()
		rc = int(i)
	case int:
		rc = n
	}
	return data, rc, true
}

// printHighstate prints each id's state returns as the highstate
// outputter does (json/yaml: one object keyed by id) and exits 1 when
// the run failed.
func (r *runner) printHighstate(data map[string]any, retcode int) int {
	p := output.NewPrinter(r.opts(), nil)
	ids := make([]string, 0, len(data))
	for id := range data {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p.Add(id, data[id], retcode != 0)
	}
	p.Finish()
	if err := p.WriteErr(); err != nil {
		return r.fail(err)
	}
	if retcode != 0 {
		return exitFailed
	}
	return exitOK
}

// runAPIToken prints the operator's HTTP API token: its key's signature
// over proto.OperatorTokenMessage. It needs the credentials, not the bus.
func (r *runner) runAPIToken() int {
	_, creds, _ := locate(r.g)
	kp, err := loadOperatorKey(creds)
	if err != nil {
		return r.fail(err)
	}
	sig, err := kp.Sign([]byte(proto.OperatorTokenMessage))
	if err != nil {
		return r.fail(err)
	}
	fmt.Fprintln(r.stdout, base64.RawURLEncoding.EncodeToString(sig))
	return exitOK
}
