package minion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/brine-cm/brine/internal/procrun"
	"github.com/brine-cm/brine/modules"
	"github.com/brine-cm/brine/proto"
	"github.com/brine-cm/brine/render"
)

// tracker knows the jobs running on this minion (saltutil.running,
// saltutil.kill_job).
type tracker struct {
	mu   sync.Mutex
	jobs map[string]*running
	// seen holds the last jids received, in order: a job the master sends
	// again (it replays jobs to a minion that was not connected when they
	// were published) runs once.
	seen     map[string]bool
	seenList []string
}

const maxSeenJobs = 1024

// firstTime reports whether jid has not been received before, and
// remembers it.
func (t *tracker) firstTime(jid string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[jid] {
		return false
	}
	t.seen[jid] = true
	t.seenList = append(t.seenList, jid)
	if len(t.seenList) > maxSeenJobs {
		delete(t.seen, t.seenList[0])
		t.seenList = t.seenList[1:]
	}
	return true
}

type running struct {
	job    proto.Job
	start  time.Time
	cancel context.CancelFunc
}

func newTracker() *tracker { return &tracker{jobs: map[string]*running{}, seen: map[string]bool{}} }

func (t *tracker) add(job proto.Job, cancel context.CancelFunc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.jobs[job.JID] = &running{job: job, start: time.Now(), cancel: cancel}
}

func (t *tracker) done(jid string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.jobs, jid)
}

// Running lists running jobs in Salt's saltutil.running shape.
func (t *tracker) Running() []map[string]any {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := []map[string]any{}
	for _, r := range t.jobs {
		out = append(out, map[string]any{
			// Arguments as every other listing shows them: declared
			// secrets replaced (saltutil.running's answer travels as a
			// return, into the job cache and events).
			"jid": r.job.JID, "fun": r.job.Fun, "arg": modules.RedactArgs(r.job.Fun, r.job.Arg), "user": r.job.User,
			"tgt": r.job.Target.Expr, "tgt_type": r.job.Target.Type,
			"start": r.start.UTC().Format(time.RFC3339),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["jid"].(string) < out[j]["jid"].(string) })
	return out
}

// Kill cancels a running job; it reports whether the job was running.
func (t *tracker) Kill(jid string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.jobs[jid]
	if ok {
		r.cancel()
	}
	return ok
}

func (t *tracker) killAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.jobs {
		r.cancel()
	}
}

var errKilled = errors.New("job killed")

func (m *Minion) onJob(msg *nats.Msg) {
	var job proto.Job
	if err := decodeData(msg.Data, &job); err != nil {
		m.log.Warn("bad job", "err", err)
		return
	}
	for i, a := range job.Arg {
		job.Arg[i] = fixNumbers(a)
	}
	fixMap(job.Kwarg)
	if !proto.ValidJID(job.JID) {
		m.log.Warn("job with bad jid", "jid", job.JID)
		return
	}
	if !m.jobs.firstTime(job.JID) {
		m.log.Debug("job received again; it runs once", "jid", job.JID)
		return
	}
	go m.runJob(job)
}

// runJob executes one job, publishes its return and returns it.
func (m *Minion) runJob(job proto.Job) proto.Return {
	ret := proto.Return{JID: job.JID, ID: m.cfg.ID, Fun: job.Fun, Start: time.Now().UTC()}
	ctx, cancel := context.WithCancelCause(procrun.WithTracker(context.Background(), m.procs))
	defer cancel(nil)
	if job.Timeout > 0 {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, time.Duration(job.Timeout*float64(time.Second)))
		defer c()
	}
	m.jobs.add(job, func() { cancel(errKilled) })
	defer m.jobs.done(job.JID)

	stop := m.reportProgress(job.JID)
	ret = m.execute(ctx, job, ret)
	stop()
	body, merr := marshalReturn(ret)
	if merr != nil {
		ret.Return, ret.Success, ret.Retcode = fmt.Sprintf("ERROR: return value cannot be encoded: %v", merr), false, 1
		body, _ = json.Marshal(ret)
	}
	if len(body) > proto.MaxInlineReturn {
		body = m.largeReturn(&ret)
	}
	m.mu.Lock()
	nc := m.nc
	m.mu.Unlock()
	if err := nc.Publish(proto.MinionReturnSubject(job.JID, m.cfg.ID), body); err != nil {
		m.log.Error("publish return", "jid", job.JID, "err", err)
	}
	return ret
}

// execute runs the job's function and fills ret with what it gave: value,
// retcode and success, or Salt's "ERROR: ..." and the error.
func (m *Minion) execute(ctx context.Context, job proto.Job, ret proto.Return) proto.Return {
	value, err := m.call(ctx, job)
	ret.End = time.Now().UTC()
	switch {
	case err == nil:
		ret.Return, ret.Success = value, true
		if r, ok := value.(modules.Ret); ok {
			ret.Return, ret.Retcode, ret.Success = r.Value, r.Retcode, r.Retcode == 0
		}
	default:
		var pe *proto.Error
		if !errors.As(err, &pe) {
			kind := proto.ErrExecution
			if errors.Is(context.Cause(ctx), errKilled) {
				err = fmt.Errorf("%s: %w", job.Fun, errKilled)
			} else if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				kind = proto.ErrTimeout
			}
			pe = &proto.Error{Kind: kind, Message: err.Error()}
		}
		ret.Error, ret.Retcode = pe, 1
		if pe.Kind == proto.ErrUnknownFunction {
			ret.Retcode = 254
		}
		ret.Return = "ERROR: " + pe.Message
		if r, ok := value.(modules.Ret); ok && r.Value != nil {
			ret.Return = r.Value
		}
	}
	return ret
}

// marshalReturn encodes ret with its value through render.MarshalData,
// whose floats keep a fraction: ctl then shows a float as Salt does
// (70.0, not 70) where its format tells floats from integers.
func marshalReturn(ret proto.Return) ([]byte, error) {
	value, err := render.MarshalData(ret.Return)
	if err != nil {
		return nil, err
	}
	// every field but the value, which is spliced in as it is (a
	// json.RawMessage would be scanned and copied again)
	head, err := json.Marshal(struct {
		returnHead
		// shadows returnHead's field of the same JSON name and is
		// left out (a "-" tag would not shadow it)
		Return *struct{} `json:"return,omitempty"`
	}{returnHead: returnHead(ret)})
	if err != nil {
		return nil, err
	}
	body := make([]byte, 0, len(head)+len(value)+12)
	body = append(body, head[:len(head)-1]...)
	body = append(body, `,"return":`...)
	body = append(body, value...)
	return append(body, '}'), nil
}

// returnHead is proto.Return under another name, so that marshalReturn
// can hide its Return field.
type returnHead proto.Return

// largeReturn sends a return value too large for one message to the
// master in pieces and returns the encoded return that announces them; a
// value over proto.MaxReturnSize is cut, with a marker saying so.
func (m *Minion) largeReturn(ret *proto.Return) []byte {
	value, err := render.MarshalData(ret.Return)
	if err == nil && len(value) > proto.MaxReturnSize {
		const keep = 1 << 20
		text, ok := ret.Return.(string)
		if !ok {
			text = string(value)
		}
		ret.Return = text[:keep] + fmt.Sprintf("\n[truncated by the minion: the return was %d bytes, over the %d byte limit]", len(value), proto.MaxReturnSize)
		ret.Truncated = true
		m.log.Warn("return truncated", "jid", ret.JID, "bytes", len(value), "limit", proto.MaxReturnSize)
		value, err = render.MarshalData(ret.Return)
	}
	if err == nil {
		err = m.sendChunks(ret.JID, value)
	}
	if err != nil {
		m.log.Error("large return not sent", "jid", ret.JID, "bytes", len(value), "err", err)
		ret.Return, ret.Success, ret.Retcode = fmt.Sprintf("ERROR: the return of %d bytes could not be sent to the master: %v", len(value), err), false, 1
		ret.Error = &proto.Error{Kind: proto.ErrExecution, Message: "large return not sent: " + err.Error()}
		body, _ := json.Marshal(ret)
		return body
	}
	// What is sent announces the pieces; ret itself keeps the value for
	// the minion's own use (a scheduled run's result).
	sum := sha256.Sum256(value)
	announce := *ret
	announce.Return = nil
	announce.Chunked = &proto.ChunkInfo{Chunks: (len(value) + proto.ReturnChunkSize - 1) / proto.ReturnChunkSize, Size: int64(len(value)), SHA256: hex.EncodeToString(sum[:])}
	body, _ := json.Marshal(announce)
	return body
}

// sendChunks sends value in pieces, each acknowledged by the master (so a
// slow master paces the minion), retrying a piece the master was too busy
// for.
func (m *Minion) sendChunks(jid string, value []byte) error {
	total := (len(value) + proto.ReturnChunkSize - 1) / proto.ReturnChunkSize
	for i := 0; i < total; i++ {
		end := min((i+1)*proto.ReturnChunkSize, len(value))
		c := proto.ReturnChunk{JID: jid, Index: i, Total: total, Data: value[i*proto.ReturnChunkSize : end]}
		var err error
		for attempt := 0; attempt < 8; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err = m.request(ctx, proto.ReqReturnChunk, c)
			cancel()
			var pe *proto.Error
			if err == nil || !errors.As(err, &pe) || pe.Kind != proto.ErrBusy {
				break
			}
			time.Sleep(m.backoff(attempt))
		}
		if err != nil {
			return fmt.Errorf("chunk %d of %d: %w", i+1, total, err)
		}
	}
	return nil
}

// call looks up and runs the job's function, turning a panic into an error.
func (m *Minion) call(ctx context.Context, job proto.Job) (value any, err error) {
	fn, ok := modules.Lookup(job.Fun)
	if !ok {
		return nil, proto.Errorf(proto.ErrUnknownFunction, "'%s' is not available.", job.Fun)
	}
	defer func() {
		if r := recover(); r != nil {
			m.log.Error("function panicked", "fun", job.Fun, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%s failed: %v", job.Fun, r)
		}
	}()
	return fn.Fn(ctx, m.env, modules.Call{Args: job.Arg, Kwargs: job.Kwarg, JID: job.JID})
}

// reportProgress tells ctl, every ProgressInterval, that the job is still
// running, so that a long job is not mistaken for a missing minion.
func (m *Minion) reportProgress(jid string) (stop func()) {
	done := make(chan struct{})
	body, _ := json.Marshal(proto.Progress{JID: jid, ID: m.cfg.ID})
	go func() {
		t := time.NewTicker(proto.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				m.mu.Lock()
				nc := m.nc
				m.mu.Unlock()
				_ = nc.Publish(proto.ProgressSubject(jid, m.cfg.ID), body)
			}
		}
	}()
	return func() { close(done) }
}
