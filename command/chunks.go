package command

import (
	"fmt"
	"time"

	"github.com/brine-cm/brine/proto"
)

// resolveChunked fetches the pieces of a return too large for one message
// from the master and puts the value in place (checking size and digest).
// On failure the return becomes a failed one that says why: a large return
// is never shown as missing or as an empty value.
func (c *client) resolveChunked(ret *proto.Return) {
	if ret.Chunked == nil {
		return
	}
	if err := c.fetchChunks(ret); err != nil {
		ret.Return, ret.Success, ret.Retcode, ret.Chunked = fmt.Sprintf("ERROR: the return of %s could not be fetched: %v", ret.ID, err), false, 1, nil
	}
}

func (c *client) fetchChunks(ret *proto.Return) error {
	ci := ret.Chunked
	if ci.Size <= 0 || ci.Size > proto.MaxReturnSize || ci.Chunks <= 0 {
		return fmt.Errorf("bad chunk description %+v", *ci)
	}
	raw := make([]byte, 0, ci.Size)
	for i := 0; i < ci.Chunks; i++ {
		b, err := c.requestRaw(proto.OpReturnChunk, proto.ReturnChunkRequest{JID: ret.JID, ID: ret.ID, Index: i}, 30*time.Second)
		if err != nil {
			return fmt.Errorf("chunk %d of %d: %w", i+1, ci.Chunks, err)
		}
		raw = append(raw, b...)
		if int64(len(raw)) > ci.Size {
			return fmt.Errorf("chunks exceed the announced %d bytes", ci.Size)
		}
	}
	return proto.CheckChunked(ret, raw)
}
