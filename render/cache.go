package render

import (
	"sync"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Cache keeps what can be shared between renders of the same template
// text: its lexed tokens. A state run gives one Cache to every render it
// makes (Context.Cache), so that 500 file.managed states rendering one
// template lex it once. A Cache is safe for concurrent use; its entries
// are read-only once stored. Texts over maxCachedSource bytes are not
// kept.
type Cache struct {
	mu    sync.Mutex
	scans map[string]*scanResult
	size  int
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
