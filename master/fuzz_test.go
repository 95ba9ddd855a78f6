package master

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/proto"
)

// FuzzMinionRequests feeds arbitrary bodies to every minion request
// handler and to the return path, as a compromised minion could: nothing
// may panic, and every refusal is a *proto.Error (a clear answer), not an
// internal failure.
func FuzzMinionRequests(f *testing.F) {
	seeds := map[string][]string{
		proto.ReqGrains:      {`{"grains":{"os":"x"},"connect":true}`, `{"grains":null}`},
		proto.ReqFileStat:    {`{"path":"salt://motd"}`, `{"path":"../../etc/passwd"}`, `{"path":"salt://a","saltenv":"nope"}`},
		proto.ReqFileRead:    {`{"path":"salt://motd","offset":0,"length":10}`, `{"path":"salt://motd","offset":-1,"length":10}`},
		proto.ReqFileList:    {`{}`, `{"prefix":"../"}`},
		proto.ReqMineUp:      {`{"data":{"f":1}}`, `{"clear":true}`, `{"delete":["f"]}`},
		proto.ReqMineGet:     {`{"tgt":{"expr":"*"},"fun":"f"}`, `{"tgt":{"expr":"I@x:y","type":"compound"},"fun":"f"}`, `{"tgt":{"expr":"pillar.x","type":"expr"},"fun":"f"}`},
		proto.ReqScheduleJob: {`{"fun":"test.ping","name":"x"}`, `{"fun":"x","name":""}`},
		proto.ReqReturnChunk: {`{"jid":"20260101000000000000","index":0,"total":1,"data":"eA=="}`, `{"jid":"x","index":-1,"total":99999}`},
	}
	ops := make([]string, 0, len(seeds))
	for op := range seeds {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for i, op := range ops {
		for _, s := range seeds[op] {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Add(uint8(255), []byte(`{"jid":"x","id":"web1","return":true}`))
	m, _ := newTestMaster(f)
	m.files = newFileServer(map[string][]string{"base": {f.TempDir()}})
	if err := m.openMine(context.Background()); err != nil {
		f.Fatal(err)
	}
	addMinion(f, m, "web1", proto.KeyAccepted, map[string]any{"os": "Debian"})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		if int(which) >= len(ops) {
			// The return path: any body, a real job or not.
			jid := proto.NewJID(nowForFuzz())
			m.onMinionReturn(natsMsg(proto.MinionReturnSubject(jid, "web1"), body))
			return
		}
		op := ops[which]
		if op == proto.ReqPillar || op == proto.ReqTop {
			return // compile pillar and top: covered by their own tests
		}
		_, err := m.minionOps[op](ctx, "web1", body)
		var pe *proto.Error
		if err != nil && !errors.As(err, &pe) {
			// Store errors may wrap; they must still read as errors.
			if err.Error() == "" {
				t.Fatalf("%s: empty error", op)
			}
		}
	})
}

func nowForFuzz() time.Time { return time.Now() }

func natsMsg(subj string, data []byte) *nats.Msg { return &nats.Msg{Subject: subj, Data: data} }
