package render

import (
	"sync"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Cache keeps what can be shared between renders of the same template
// text: its lexed tokens, and the renderer's state of finished renders
// with the templates they compiled. A state run gives one Cache to every
// render it makes (Context.Cache), so that 500 file.managed states
// rendering one template lex, parse and rewrite it once: a template is
// reused by a later render of the same name only while its source (and
// every file its parse read) reads the same. A Cache is safe for
// concurrent use; its scan entries are read-only once stored, and a
// state serves one render at a time. Texts over maxCachedSource bytes
// are not kept.
type Cache struct {
	mu    sync.Mutex
	scans map[string]*scanResult
	size  int
	idle  []*state
}

type scanResult struct {
	toks []*tokens.Token
	runs []textRun
}

const (
	maxCachedSource = 1 << 20  // a text larger than this is lexed each time
	maxCacheBytes   = 64 << 20 // total text a Cache keeps
)

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{scans: map[string]*scanResult{}} }

func (c *Cache) getScan(src string) (*scanResult, bool) {
	if c == nil || len(src) > maxCachedSource {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.scans[src]
	return r, ok
}

func (c *Cache) putScan(src string, r *scanResult) {
	if c == nil || len(src) > maxCachedSource {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size+len(src) > maxCacheBytes {
		return
	}
	if _, ok := c.scans[src]; !ok {
		c.scans[src] = r
		c.size += len(src)
	}
}

// maxIdleStates is how many finished renders' states a Cache keeps for
// reuse (renders in parallel each take one); maxReusedClosures bounds
// what one state may accumulate: a state past it is dropped, not reused.
const (
	maxIdleStates     = 8
	maxReusedClosures = 1 << 17
)

// getState returns an idle state of an earlier render, with its compiled
// templates, or nil.
func (c *Cache) getState() *state {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.idle)
	if n == 0 {
		return nil
	}
	st := c.idle[n-1]
	c.idle[n-1] = nil
	c.idle = c.idle[:n-1]
	return st
}

// putState keeps a finished render's state for the next render.
func (c *Cache) putState(st *state) {
	if st.closures > maxReusedClosures {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.idle) < maxIdleStates {
		c.idle = append(c.idle, st)
	}
}
