package states

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/brine-cm/brine/internal/fakeaws"
)

// stackRig is the fake AWS the boto_elb, boto_lc, boto_asg and
// boto_cloudwatch_alarm tests run against: one fake per service, each at
// its own endpoint given by the <service>.endpoint options, credentials
// from a profile in pillar (whose secret the tests look for in results).
type stackRig struct {
	elb *fakeaws.ELB
	as  *fakeaws.AutoScaling
	cw  *fakeaws.CloudWatch
	env *Env
}

const stackSecret = "STACK-SECRET-never-shown"

func newStackRig(t *testing.T) *stackRig {
	t.Helper()
	isolateAWS(t)
	r := &stackRig{elb: fakeaws.NewELB(), as: fakeaws.NewAutoScaling(), cw: fakeaws.NewCloudWatch()}
	elbSrv, asSrv, cwSrv := httptest.NewServer(r.elb), httptest.NewServer(r.as), httptest.NewServer(r.cw)
	t.Cleanup(elbSrv.Close)
	t.Cleanup(asSrv.Close)
	t.Cleanup(cwSrv.Close)
	r.env = &Env{ID: "aws-minion", Logger: slog.New(slog.DiscardHandler), Saltenv: "base",
		Opts:   map[string]any{"elb.endpoint": elbSrv.URL, "asg.endpoint": asSrv.URL, "cloudwatch.endpoint": cwSrv.URL},
		Pillar: map[string]any{"awsprof": map[string]any{"region": "us-east-1", "keyid": "AKIDSTACK", "key": stackSecret}},
	}
	return r
}

// args returns a with the rig's profile.
func (r *stackRig) args(a map[string]any) map[string]any {
	out := map[string]any{"profile": "awsprof"}
	for k, v := range a {
		out[k] = v
	}
	return out
}

// mutating sums the calls of actions that are not Describe/List/Get.
func mutating(counts ...map[string]int) (n int, names []string) {
	for _, c := range counts {
		for k, v := range c {
			if !strings.HasPrefix(k, "Describe") && !strings.HasPrefix(k, "List") && !strings.HasPrefix(k, "Get") {
				n += v
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return n, names
}

func (r *stackRig) mutatingCalls() (int, []string) {
	return mutating(r.elb.CallCounts(), r.as.CallCounts(), r.cw.CallCounts())
}

// noSecret fails when a result shows the secret key.
func noSecret(t *testing.T, res Result) {
	t.Helper()
	if s := fmt.Sprintf("%v %v", res.Comment, res.Changes); strings.Contains(s, stackSecret) {
		t.Fatalf("secret in result: %s", s)
	}
}
