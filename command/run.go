package command

import (
	"encoding/base64"
	"fmt"
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
	if err := c.request(proto.OpRunner, proto.RunnerRequest{Fun: words[0], Arg: args, Kwarg: kwargs}, &rep, timeout); err != nil {
		return r.fail(err)
	}
	if err := output.Value(r.opts(), rep.Return); err != nil {
		return r.fail(err)
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
