package master

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// Large returns. A return value whose JSON is over proto.MaxInlineReturn
// (a 9 MB command output, a 100,000-state highstate) would not fit in one
// bus message. The minion sends it first in proto.ReturnChunkSize pieces
// as requests (so the master paces it), the master keeps each piece in the
// return-chunks stream under brine.retc.<jid>.<id>.<n>, then the minion
// sends its return with a ChunkInfo in place of the value. Readers (ctl,
// runners, the API) fetch the pieces and check the digest. Pieces are
// accepted only for a job that targeted the minion and has no return from
// it yet, and only up to proto.MaxReturnSize.

func (m *Master) openReturnChunks(ctx context.Context) error {
	s, err := m.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: proto.StreamReturnChunks, Description: "pieces of large job returns",
		Subjects: []string{proto.SubjectReturnChunk + ".>"},
		MaxAge:   m.cfg.keepJobs(), MaxBytes: maxChunkBytes, Storage: jetstream.FileStorage, Discard: jetstream.DiscardOld,
		MaxMsgSize: proto.ReturnChunkSize + 4096,
	})
	if err != nil {
		return fmt.Errorf("return chunks stream: %w", err)
	}
	m.retChunks = s
	return nil
}

// maxChunkBytes bounds the disk large returns may use; the oldest go first.
const maxChunkBytes = 8 << 30

const maxChunks = proto.MaxReturnSize / proto.ReturnChunkSize

// handleReturnChunk stores one piece of the calling minion's return.
func (m *Master) handleReturnChunk(ctx context.Context, id string, body []byte) (any, error) {
	var c proto.ReturnChunk
	if err := decode(body, &c); err != nil {
		return nil, err
	}
	if !proto.ValidJID(c.JID) {
		return nil, proto.Errorf(proto.ErrBadRequest, "bad jid %q", c.JID)
	}
	if c.Total <= 0 || c.Total > maxChunks || c.Index < 0 || c.Index >= c.Total {
		return nil, proto.Errorf(proto.ErrBadRequest, "chunk %d of %d: want 0 <= index < total <= %d", c.Index, c.Total, maxChunks)
	}
	if len(c.Data) == 0 || len(c.Data) > proto.ReturnChunkSize {
		return nil, proto.Errorf(proto.ErrBadRequest, "chunk of %d bytes: want 1 to %d", len(c.Data), proto.ReturnChunkSize)
	}
	if err := m.mayReturn(ctx, c.JID, id); err != nil {
		return nil, err
	}
	msg := &nats.Msg{Subject: proto.ReturnChunkSubject(c.JID, id, c.Index), Header: nats.Header{}, Data: c.Data}
	msg.Header.Set("Nats-Expected-Last-Subject-Sequence", "0") // a piece is never replaced
	if _, err := m.js.PublishMsg(ctx, msg); err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return proto.Ack{}, nil // a retry of a piece already kept
		}
		return nil, fmt.Errorf("store return chunk %d of %s from %s: %w", c.Index, c.JID, id, err)
	}
	return proto.Ack{}, nil
}

// mayReturn checks that jid is a job that targeted id and that id has not
// returned yet.
func (m *Master) mayReturn(ctx context.Context, jid, id string) error {
	switch m.tracked.peek(jid, id) {
	case claimOK:
		return nil
	case claimUnknown:
		rec, err := m.jobRecord(ctx, jid)
		if err != nil {
			return err
		}
		m.tracked.add(jid, rec.Minions)
		if m.tracked.peek(jid, id) == claimOK {
			return nil
		}
	}
	return proto.Errorf(proto.ErrDenied, "job %s did not target %s or has its return already", jid, id)
}

// checkChunks verifies that every piece a return announces is stored.
func (m *Master) checkChunks(jid, id string, ci *proto.ChunkInfo) error {
	if ci.Chunks <= 0 || ci.Chunks > maxChunks || ci.Size <= 0 || ci.Size > proto.MaxReturnSize {
		return fmt.Errorf("return announces %d chunks, %d bytes: out of bounds", ci.Chunks, ci.Size)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	filter := strings.TrimSuffix(proto.ReturnChunkSubject(jid, id, 0), "0") + "*"
	info, err := m.retChunks.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return fmt.Errorf("check return chunks: %w", err)
	}
	if got := len(info.State.Subjects); got != ci.Chunks {
		return fmt.Errorf("return incomplete: %d of %d chunks arrived", got, ci.Chunks)
	}
	return nil
}

// handleReturnChunkOp serves one piece of a large return to ctl.
func (m *Master) handleReturnChunkOp(ctx context.Context, _ caller, body []byte) (any, error) {
	var req proto.ReturnChunkRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if !proto.ValidJID(req.JID) || proto.ValidID(req.ID) != nil || req.Index < 0 || req.Index >= maxChunks {
		return nil, proto.Errorf(proto.ErrBadRequest, "bad return chunk request")
	}
	return m.readChunk(ctx, req.JID, req.ID, req.Index)
}

func (m *Master) readChunk(ctx context.Context, jid, id string, index int) (rawReply, error) {
	msg, err := m.retChunks.GetLastMsgForSubject(ctx, proto.ReturnChunkSubject(jid, id, index))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, proto.Errorf(proto.ErrNotFound, "chunk %d of %s's return of job %s is not in the job cache", index, id, jid)
	}
	if err != nil {
		return nil, fmt.Errorf("read return chunk: %w", err)
	}
	return rawReply(msg.Data), nil
}

// resolveChunks replaces a chunked return's value with the value itself,
// for master-side readers (runners, orchestration, the API).
func (m *Master) resolveChunks(ctx context.Context, r *proto.Return) error {
	if r.Chunked == nil {
		return nil
	}
	raw := make([]byte, 0, r.Chunked.Size)
	for i := 0; i < r.Chunked.Chunks; i++ {
		b, err := m.readChunk(ctx, r.JID, r.ID, i)
		if err != nil {
			return err
		}
		raw = append(raw, b...)
	}
	if err := proto.CheckChunked(r, raw); err != nil {
		return err
	}
	return nil
}
