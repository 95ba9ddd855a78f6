package reactor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/render"
)

// Backend starts what reactions ask for. Every call's context carries the
// reaction's depth (DepthFrom); see the package documentation.
type Backend interface {
	// Local publishes fun to the minions tgt matches and returns at once.
	Local(ctx context.Context, tgt, tgtType, fun string, arg []any, kwarg map[string]any) (jid string, err error)
	// Runner runs a runner function on the master.
	Runner(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error)
	// Wheel runs a wheel function on the master.
	Wheel(ctx context.Context, fun string, arg []any, kwarg map[string]any) (any, error)
	// Caller runs fun on one minion, the event's data.id.
	Caller(ctx context.Context, minion, fun string, arg []any, kwarg map[string]any) (jid string, err error)
	// Fire publishes an event on the bus. It may call Handle.
	Fire(tag string, data map[string]any)
}

// Defaults of Config.
const (
	DefaultMaxDepth   = 3
	DefaultRatePerTag = 20.0
	DefaultBurst      = 50
	DefaultWorkers    = 4
	DefaultQueueSize  = 1000
	DefaultRender     = 30 * time.Second
)

// maxResult is the largest result, JSON-encoded, a result event carries;
// a larger one is replaced by a note of its size.
const maxResult = 256 << 10

// Config configures an Engine. Zero values take the defaults.
type Config struct {
	// Rules from the master config's `reactor` (see ParseRules).
	Rules []Rule
	// Loader reads the reactor files (absolute paths or salt:// URLs, as
	// the rules name them) and serves their imports.
	Loader render.Loader
	// Opts are the master options templates see as opts.
	Opts map[string]any
	// Salt holds extra salt[...] functions for templates.
	Salt map[string]render.Func
	// MaxDepth: events at this depth or deeper are not reacted to
	// (default 3).
	MaxDepth int
	// RatePerTag and Burst size the token bucket of each tag (default 20
	// events a second, burst 50). A negative RatePerTag disables the limit.
	RatePerTag float64
	Burst      int
	// Workers render files and run reactions (default 4).
	Workers int
	// QueueSize bounds the events waiting for a worker (default 1000).
	QueueSize int
	// RenderTimeout bounds reading and rendering one reactor file
	// (default 30s).
	RenderTimeout time.Duration
	// RenderPy renders #!py files (see package pyrender): globals are
	// the file's tag, data, opts, grains, pillar, sls and saltenv. nil:
	// such files are refused as an unsupported pipeline.
	RenderPy func(ctx context.Context, text []byte, file string, globals map[string]any) (*render.Map, error)
}

// Tags the engine fires.
const (
	TagPrefix        = "brine/reactor/"
	TagError         = "brine/reactor/error"
	TagRateLimited   = "brine/reactor/rate_limited"
	TagDepthExceeded = "brine/reactor/depth_exceeded"
)

// DepthKey is the event data key carrying an event's reactor depth.
const DepthKey = "_reactor_depth"

// ResultTag is the tag of the result event of reaction id:
// brine/reactor/<id>/result, with '/' and control characters in id
// replaced by '_' and id cut to 128 bytes.
func ResultTag(id string) string {
	s := strings.Map(func(r rune) rune {
		if r == '/' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, id)
	if len(s) > 128 {
		cut := 128
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	if s == "" {
		s = "_"
	}
	return TagPrefix + s + "/result"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

func isNotice(tag string) bool {
	return tag == TagError || tag == TagRateLimited || tag == TagDepthExceeded
}

type depthKey struct{}

// WithDepth returns ctx carrying reactor depth n.
func WithDepth(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, depthKey{}, n)
}

// DepthFrom returns the reactor depth ctx carries: 0 when none.
func DepthFrom(ctx context.Context) int {
	if ctx == nil {
		return 0
	}
	n, _ := ctx.Value(depthKey{}).(int)
	return n
}

// EventDepth reads the reactor depth of event data (DepthKey): 0 when
// absent, negative or unreadable; a NaN or an infinity counts as deep.
func EventDepth(data map[string]any) int {
	v, ok := data[DepthKey]
	if !ok {
		return 0
	}
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float32:
		f = float64(x)
	case float64:
		f = x
	case json.Number:
		n, err := x.Float64()
		if err != nil {
			return 0
		}
		f = n
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0
		}
		f = n
	default:
		return 0
	}
	switch {
	case math.IsNaN(f), f >= math.MaxInt32:
		return math.MaxInt32
	case f <= 0:
		return 0
	}
	return int(f)
}

// maxBuckets bounds the per-tag rate-limit state.
const maxBuckets = 10000

// noticeEvery is the least interval between two drop notices of a tag.
const noticeEvery = time.Second

type compiledRule struct {
	Rule
	re *glob.Glob
}

type job struct {
	tag   string
	data  map[string]any
	depth int
	files []string
}

type bucket struct {
	tokens     float64
	last       time.Time
	noticeAt   time.Time // last drop notice
	suppressed int       // drops since the last notice
}

// Engine is a running reactor.
type Engine struct {
	cfg   Config
	b     Backend
	log   *slog.Logger
	rules []compiledRule
	queue chan *job
	now   func() time.Time
	conds *condCache

	mu       sync.Mutex
	buckets  map[string]*bucket
	qNotice  time.Time
	qDropped int

	startOnce sync.Once
	wg        sync.WaitGroup
}

// New returns an Engine; Start runs it. A rule whose glob cannot be
// compiled (ParseRules refuses those) never matches.
func New(cfg Config, b Backend, log *slog.Logger) *Engine {
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = DefaultMaxDepth
	}
	if cfg.RatePerTag == 0 {
		cfg.RatePerTag = DefaultRatePerTag
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.RenderTimeout <= 0 {
		cfg.RenderTimeout = DefaultRender
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		cfg:     cfg,
		b:       b,
		log:     log,
		queue:   make(chan *job, cfg.QueueSize),
		now:     time.Now,
		conds:   newCondCache(),
		buckets: map[string]*bucket{},
	}
	for _, r := range cfg.Rules {
		re, err := compileGlob(r.Pattern)
		if err != nil {
			log.Error("reactor: rule ignored", "glob", r.Pattern, "err", err)
			continue
		}
		e.rules = append(e.rules, compiledRule{Rule: r, re: re})
	}
	return e
}

// Start starts the workers; they stop when ctx is done. Events queued by
// Handle before Start wait for it. Later calls do nothing.
func (e *Engine) Start(ctx context.Context) {
	e.startOnce.Do(func() {
		for range e.cfg.Workers {
			e.wg.Add(1)
			go e.worker(ctx)
		}
	})
}

// Wait waits for the workers to stop after Start's context is done.
func (e *Engine) Wait() { e.wg.Wait() }

// Files returns the reactor files the rules give tag, in rule order, each
// once.
func (e *Engine) Files(tag string) []string {
	var files []string
	seen := map[string]bool{}
	for _, r := range e.rules {
		if !r.re.Match(tag) {
			continue
		}
		for _, f := range r.Files {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	return files
}

// Handle is called for every bus event. It returns at once: matching
// events are queued for the workers, or dropped (with a notice event)
// when too deep, over the tag's rate or when the queue is full. Handle
// keeps data: the caller must not change it afterwards.
func (e *Engine) Handle(tag string, data map[string]any) {
	files := e.Files(tag)
	if len(files) == 0 {
		return
	}
	depth := EventDepth(data)
	if depth >= e.cfg.MaxDepth {
		e.log.Warn("reactor: event too deep, not reacting", "tag", tag, "depth", depth, "max_depth", e.cfg.MaxDepth)
		if !isNotice(tag) {
			e.fire(TagDepthExceeded, depth, map[string]any{"tag": tag, "depth": depth, "max_depth": e.cfg.MaxDepth})
		}
		return
	}
	if ok, notify, dropped := e.allow(tag); !ok {
		if notify && !isNotice(tag) {
			e.log.Warn("reactor: rate limited", "tag", tag, "dropped", dropped)
			e.fire(TagRateLimited, depth, map[string]any{
				"tag": tag, "dropped": dropped, "rate": e.cfg.RatePerTag, "burst": e.cfg.Burst,
			})
		}
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	select {
	case e.queue <- &job{tag: tag, data: data, depth: depth, files: files}:
		return
	default:
	}
	e.mu.Lock()
	e.qDropped++
	now := e.now()
	notify := e.qNotice.IsZero() || now.Sub(e.qNotice) >= noticeEvery
	dropped := e.qDropped
	if notify {
		e.qNotice, e.qDropped = now, 0
	}
	e.mu.Unlock()
	if notify {
		e.log.Error("reactor: queue full, events dropped", "tag", tag, "dropped", dropped, "queue", e.cfg.QueueSize)
		if !isNotice(tag) {
			e.fire(TagError, depth, map[string]any{
				"tag": tag, "error": fmt.Sprintf("reactor queue full (%d events): event dropped", e.cfg.QueueSize), "dropped": dropped,
			})
		}
	}
}

// allow takes a token from tag's bucket. When it cannot, notify says
// whether to fire a notice, reporting dropped events.
func (e *Engine) allow(tag string) (ok, notify bool, dropped int) {
	if e.cfg.RatePerTag < 0 {
		return true, false, 0
	}
	burst := float64(e.cfg.Burst)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	b := e.buckets[tag]
	if b == nil {
		if len(e.buckets) >= maxBuckets {
			e.sweepLocked(now)
		}
		b = &bucket{tokens: burst, last: now}
		e.buckets[tag] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(burst, b.tokens+el*e.cfg.RatePerTag)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, false, 0
	}
	b.suppressed++
	if b.noticeAt.IsZero() || now.Sub(b.noticeAt) >= noticeEvery {
		dropped = b.suppressed
		b.noticeAt, b.suppressed = now, 0
		return false, true, dropped
	}
	return false, false, 0
}

// sweepLocked forgets buckets that have refilled (a new bucket is the
// same), or all of them if that is not enough.
func (e *Engine) sweepLocked(now time.Time) {
	burst := float64(e.cfg.Burst)
	for tag, b := range e.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*e.cfg.RatePerTag >= burst && now.Sub(b.noticeAt) >= noticeEvery {
			delete(e.buckets, tag)
		}
	}
	if len(e.buckets) >= maxBuckets {
		clear(e.buckets)
	}
}

// fire fires an event caused by handling an event at depth d.
func (e *Engine) fire(tag string, d int, data map[string]any) {
	data[DepthKey] = d + 1
	e.b.Fire(tag, data)
}

func (e *Engine) worker(ctx context.Context) {
	defer e.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-e.queue:
			for _, f := range j.files {
				if ctx.Err() != nil {
					return
				}
				e.runFile(ctx, j, f)
			}
		}
	}
}

// runFile renders one reactor file and runs its reactions.
func (e *Engine) runFile(ctx context.Context, j *job, file string) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("reactor: panic", "tag", j.tag, "file", file, "panic", p, "stack", string(debug.Stack()))
			func() {
				defer func() {
					if p := recover(); p != nil {
						e.log.Error("reactor: panic firing an error event", "panic", p)
					}
				}()
				e.fileError(j, file, fmt.Errorf("internal error: %v", p))
			}()
		}
	}()
	reactions, err := e.load(ctx, j, file)
	if err != nil {
		e.fileError(j, file, err)
		return
	}
	for i := range reactions {
		if ctx.Err() != nil {
			return
		}
		e.run(ctx, j, file, &reactions[i])
	}
}

// load reads, renders and parses a reactor file.
func (e *Engine) load(ctx context.Context, j *job, file string) ([]Reaction, error) {
	if e.cfg.Loader == nil {
		return nil, errors.New("no loader for reactor files")
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RenderTimeout)
	defer cancel()
	text, err := e.cfg.Loader.Read(ctx, file)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var high *render.Map
	if e.cfg.RenderPy != nil && isPy(text) {
		high, err = e.cfg.RenderPy(ctx, text, file, map[string]any{
			"tag": j.tag, "data": j.data, "opts": e.cfg.Opts, "grains": map[string]any{}, "pillar": map[string]any{},
			"sls": file, "saltenv": "base",
		})
	} else {
		high, err = render.SLS(ctx, text, file, &render.Context{
			Opts:   e.cfg.Opts,
			Salt:   e.cfg.Salt,
			Extra:  map[string]any{"tag": j.tag, "data": j.data},
			Loader: e.cfg.Loader,
		})
	}
	if err != nil {
		return nil, err
	}
	return ParseReactions(high)
}

// isPy reports a #!py shebang line.
func isPy(text []byte) bool {
	line, _, _ := strings.Cut(string(text[:min(len(text), 64)]), "\n")
	f := strings.Fields(strings.TrimPrefix(line, "#!"))
	return strings.HasPrefix(line, "#!") && len(f) > 0 && f[0] == "py"
}

func (e *Engine) fileError(j *job, file string, err error) {
	e.log.Error("reactor: bad reactor file", "tag", j.tag, "file", file, "err", err)
	e.fire(TagError, j.depth, map[string]any{"tag": j.tag, "file": file, "error": err.Error(), "depth": j.depth + 1})
}

// run runs one reaction and fires its result.
func (e *Engine) run(ctx context.Context, j *job, file string, r *Reaction) {
	depth := j.depth + 1
	ev := map[string]any{
		"tag": j.tag, "file": file, "reaction": r.ID, "fun": r.Name(), "depth": depth,
		"arg": redactArgs(r), "kwarg": redactKwarg(r),
	}
	log := e.log.With("tag", j.tag, "file", file, "reaction", r.ID, "fun", r.Name(), "depth", depth)
	for _, w := range r.Warnings {
		log.Warn("reactor: " + w)
	}
	if len(r.Warnings) > 0 {
		ev["warnings"] = r.Warnings
	}
	if r.Type == TypeLocal {
		ev["tgt"], ev["tgt_type"] = r.Tgt, r.TgtType
	}
	fail := func(err error) {
		log.Error("reactor: reaction failed", "err", err)
		ev["success"] = false
		ev["error"] = err.Error()
		e.fire(ResultTag(r.ID), j.depth, ev)
	}
	if r.If != "" {
		ok, err := e.conds.eval(r.If, j.tag, j.data)
		if err != nil {
			fail(fmt.Errorf("if: %w", err))
			return
		}
		if !ok {
			log.Info("reactor: reaction skipped", "if", r.If)
			ev["success"] = true
			ev["skipped"] = true
			ev["reason"] = "if: " + r.If + " is false"
			e.fire(ResultTag(r.ID), j.depth, ev)
			return
		}
	}
	rctx := WithDepth(ctx, depth)
	var (
		res any
		err error
	)
	func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error("reactor: backend panic", "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("internal error: %v", p)
			}
		}()
		t, ok := lookupType(r.Type)
		if !ok {
			err = fmt.Errorf("unknown reaction type %q", r.Type)
			return
		}
		res, err = t.Run(rctx, e.b, r, j.data, ev)
	}()
	if err != nil {
		fail(err)
		return
	}
	log.Info("reactor: reaction started")
	ev["success"] = true
	ev["result"] = limitResult(redactResult(r.Fun, res))
	e.fire(ResultTag(r.ID), j.depth, ev)
}

// limitResult keeps results that fit in an event.
func limitResult(res any) any {
	b, err := json.Marshal(res)
	switch {
	case err != nil:
		return fmt.Sprintf("<result not encodable: %v>", err)
	case len(b) > maxResult:
		return fmt.Sprintf("<result too large: %d bytes>", len(b))
	}
	return res
}
