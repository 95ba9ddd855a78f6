package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
)

// JetStream stream snapshots and restores over the JetStream API, as the
// nats CLI does them (nats.go's jetstream package has no snapshot API):
//
//	$JS.API.STREAM.SNAPSHOT.<stream> {deliver_subject, jsck}: the server
//	answers with the stream's config and state, then sends the snapshot in
//	chunks to deliver_subject, each to be acknowledged on its reply subject,
//	and ends with an empty message (status 204, or an error status).
//
//	$JS.API.STREAM.RESTORE.<stream> {config, state}: the server answers with
//	a subject to send the chunks to, each as a request it acknowledges; an
//	empty request ends the upload and is answered with the stream's info or
//	the error.

const (
	apiSnapshot = "$JS.API.STREAM.SNAPSHOT."
	apiRestore  = "$JS.API.STREAM.RESTORE."
	apiDelete   = "$JS.API.STREAM.DELETE."
	apiNames    = "$JS.API.STREAM.NAMES"

	snapshotChunk = 128 << 10
	// snapshotWindow bounds the chunks in flight: fewer than the chunk
	// channel holds, so that none is dropped while a chunk is written out.
	snapshotWindow = 4 << 20
	// snapshotIdle bounds the wait for each chunk or acknowledgement.
	snapshotIdle = 30 * time.Second
)

type jsAPIError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

func (e *jsAPIError) Error() string { return e.Description }

// streamSnapshotInfo is what the server reports with a snapshot, and what a
// restore needs back.
type streamSnapshotInfo struct {
	Config json.RawMessage `json:"config"`
	State  json.RawMessage `json:"state"`
}

type snapshotRequest struct {
	DeliverSubject string `json:"deliver_subject"`
	NoConsumers    bool   `json:"no_consumers,omitempty"`
	ChunkSize      int    `json:"chunk_size,omitempty"`
	WindowSize     int    `json:"window_size,omitempty"`
}

// snapshotStream writes a snapshot of stream to w.
func snapshotStream(ctx context.Context, nc *nats.Conn, stream string, w io.Writer) (*streamSnapshotInfo, error) {
	inbox := nc.NewRespInbox()
	chunks := make(chan *nats.Msg, 2*snapshotWindow/snapshotChunk)
	sub, err := nc.ChanSubscribe(inbox, chunks)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: subscribe: %w", stream, err)
	}
	defer sub.Unsubscribe()
	req, _ := json.Marshal(snapshotRequest{DeliverSubject: inbox, NoConsumers: true, ChunkSize: snapshotChunk, WindowSize: snapshotWindow})
	rctx, cancel := context.WithTimeout(ctx, snapshotIdle)
	defer cancel()
	msg, err := nc.RequestWithContext(rctx, apiSnapshot+stream, req)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", stream, err)
	}
	var resp struct {
		Error *jsAPIError `json:"error"`
		streamSnapshotInfo
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return nil, fmt.Errorf("snapshot %s: bad answer: %w", stream, err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("snapshot %s: %w", stream, resp.Error)
	}
	info := &resp.streamSnapshotInfo
	idle := time.NewTimer(snapshotIdle)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("snapshot %s: %w", stream, ctx.Err())
		case <-idle.C:
			return nil, fmt.Errorf("snapshot %s: no data from the server for %s", stream, snapshotIdle)
		case m := <-chunks:
			idle.Reset(snapshotIdle)
			if len(m.Data) == 0 {
				if st := m.Header.Get("Status"); st != "" && st != "204" {
					return nil, fmt.Errorf("snapshot %s: the server stopped: %s %s", stream, st, m.Header.Get("Description"))
				}
				return info, nil
			}
			if _, err := w.Write(m.Data); err != nil {
				return nil, fmt.Errorf("snapshot %s: write: %w", stream, err)
			}
			if m.Reply != "" {
				if err := nc.Publish(m.Reply, nil); err != nil {
					return nil, fmt.Errorf("snapshot %s: acknowledge: %w", stream, err)
				}
			}
		}
	}
}

// restoreStream creates stream from a snapshot read from r. The stream must
// not exist.
func restoreStream(ctx context.Context, nc *nats.Conn, stream string, info *streamSnapshotInfo, r io.Reader) error {
	req, err := json.Marshal(info)
	if err != nil {
		return err
	}
	msg, err := nc.RequestWithContext(ctx, apiRestore+stream, req)
	if err != nil {
		return fmt.Errorf("restore %s: %w", stream, err)
	}
	var resp struct {
		Error          *jsAPIError `json:"error"`
		DeliverSubject string      `json:"deliver_subject"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return fmt.Errorf("restore %s: bad answer: %w", stream, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("restore %s: %w", stream, resp.Error)
	}
	buf := make([]byte, snapshotChunk)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			ack, err := nc.Request(resp.DeliverSubject, buf[:n], snapshotIdle)
			if err != nil {
				return fmt.Errorf("restore %s: send: %w", stream, err)
			}
			if err := apiErrorOf(ack.Data); err != nil {
				return fmt.Errorf("restore %s: %w", stream, err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("restore %s: read snapshot: %w", stream, rerr)
		}
	}
	done, err := nc.Request(resp.DeliverSubject, nil, 10*time.Minute)
	if err != nil {
		return fmt.Errorf("restore %s: finish: %w", stream, err)
	}
	if err := apiErrorOf(done.Data); err != nil {
		return fmt.Errorf("restore %s: %w", stream, err)
	}
	return nil
}

// apiErrorOf returns the error in a JetStream API answer, if any.
func apiErrorOf(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	var resp struct {
		Error *jsAPIError `json:"error"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return fmt.Errorf("bad answer: %w", err)
	}
	if resp.Error != nil {
		return resp.Error
	}
	return nil
}

// streamNames lists the account's streams.
func streamNames(ctx context.Context, nc *nats.Conn) ([]string, error) {
	var names []string
	for offset := 0; ; {
		req, _ := json.Marshal(map[string]int{"offset": offset})
		msg, err := nc.RequestWithContext(ctx, apiNames, req)
		if err != nil {
			return nil, fmt.Errorf("list streams: %w", err)
		}
		var resp struct {
			Error   *jsAPIError `json:"error"`
			Total   int         `json:"total"`
			Streams []string    `json:"streams"`
		}
		if err := json.Unmarshal(msg.Data, &resp); err != nil {
			return nil, fmt.Errorf("list streams: bad answer: %w", err)
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("list streams: %w", resp.Error)
		}
		names = append(names, resp.Streams...)
		offset += len(resp.Streams)
		if len(resp.Streams) == 0 || offset >= resp.Total {
			return names, nil
		}
	}
}

// deleteStream removes stream and its data.
func deleteStream(ctx context.Context, nc *nats.Conn, stream string) error {
	msg, err := nc.RequestWithContext(ctx, apiDelete+stream, nil)
	if err != nil {
		return fmt.Errorf("delete stream %s: %w", stream, err)
	}
	if err := apiErrorOf(msg.Data); err != nil {
		return fmt.Errorf("delete stream %s: %w", stream, err)
	}
	return nil
}
