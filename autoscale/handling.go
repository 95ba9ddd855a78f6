package autoscale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brine-cm/brine/proto"
)

// Steps recorded in a record, so that a resumed message skips what was
// done.
const (
	stepAccepted = "accepted"
	stepStates   = "states"
	stepCleaned  = "cleaned"
	stepDeleted  = "deleted"
)

// identityMaxAge is how long after an instance's pendingTime its identity
// document is accepted.
const identityMaxAge = time.Hour

// launch makes the instance's minion join: key accepted, grains set,
// startup states applied, then CONTINUE (ABANDON when the minion never
// shows, its identity is refused, or a state fails).
func (h *handling) launch(ctx context.Context) bool {
	e := h.e
	id := h.minion()
	if err := proto.ValidID(id); err != nil {
		h.logf(slog.LevelError, "the minion id pattern gives an invalid id", "err", err)
		return h.finish(ctx, ResultAbandon, err.Error())
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wait := e.o.Config.minionTimeout()
	if h.m.Hook() {
		hi := e.hookTimeouts(ctx, h.m)
		if wait == 0 {
			wait = hi.heartbeat
		}
		// The whole launch must end before the hook's global timeout.
		left := hi.global - e.o.Now().Sub(h.rec.Started)
		var c2 context.CancelFunc
		lctx, c2 = context.WithTimeout(lctx, left)
		defer c2()
		go e.heartbeats(lctx, h.m, max(hi.heartbeat/2, 500*time.Millisecond))
	}
	if wait == 0 {
		wait = DefaultMinionTimeout
	}

	if h.rec.Step == "" {
		state, err := h.waitKey(lctx, id, wait)
		if err != nil {
			h.logf(slog.LevelWarn, "the minion did not present its key", "err", err)
			e.fire(h.m, "minion_missing", map[string]any{"error": err.Error(), "waited": wait.String()})
			if ctx.Err() != nil {
				return false // shutting down: resumed on restart
			}
			return h.finish(ctx, ResultAbandon, "the minion did not present its key: "+err.Error())
		}
		switch state {
		case keyPending:
			if h.g.RequireIdentity {
				if err := h.checkIdentity(lctx, id); err != nil {
					h.logf(slog.LevelWarn, "instance identity refused; key left pending", "err", err)
					e.fire(h.m, "identity_refused", map[string]any{"error": err.Error()})
					return h.finish(ctx, ResultAbandon, "instance identity refused: "+err.Error())
				}
				e.fire(h.m, "identity_verified", nil)
			}
			if err := e.o.Backend.AcceptKey(lctx, id, "autoscale/"+h.m.AutoScalingGroupName); err != nil {
				h.logf(slog.LevelError, "accepting the key failed", "err", err)
				e.fire(h.m, "error", map[string]any{"error": "accepting the key: " + err.Error()})
				return h.finish(ctx, ResultAbandon, "accepting the key failed")
			}
		case keyAccepted:
			// Accepted already (auto_accept, autosign, an operator).
			if h.g.RequireIdentity {
				err := errors.New("the key was accepted before its instance identity was checked")
				e.fire(h.m, "identity_refused", map[string]any{"error": err.Error()})
				return h.finish(ctx, ResultAbandon, err.Error())
			}
		}
		h.step(ctx, stepAccepted)
		e.fire(h.m, "accepted", nil)
	}

	if h.rec.Step == stepAccepted {
		if err := h.waitConnected(lctx, id, wait); err != nil {
			e.fire(h.m, "minion_missing", map[string]any{"error": err.Error(), "waited": wait.String()})
			if ctx.Err() != nil {
				return false
			}
			return h.finish(ctx, ResultAbandon, "the accepted minion did not connect: "+err.Error())
		}
		if err := h.waitAnswers(lctx, id, wait); err != nil {
			e.fire(h.m, "minion_missing", map[string]any{"error": err.Error(), "waited": wait.String()})
			if ctx.Err() != nil {
				return false
			}
			return h.finish(ctx, ResultAbandon, "the minion does not answer: "+err.Error())
		}
		if len(h.g.Grains) > 0 {
			ok, ret, err := e.o.Backend.Run(lctx, id, "grains.setvals", []any{h.g.Grains}, e.o.Config.stateTimeout())
			if err != nil || !ok {
				reason := describeFailure("grains.setvals", ret, err)
				e.fire(h.m, "grains_failed", map[string]any{"error": reason})
				if ctx.Err() != nil {
					return false
				}
				return h.finish(ctx, ResultAbandon, reason)
			}
			e.fire(h.m, "grains", map[string]any{"grains": h.g.Grains})
		}
		if !h.g.StartupStates.IsZero() {
			fun, arg := stateCall(h.g.StartupStates)
			e.fire(h.m, "states_started", map[string]any{"states": h.g.StartupStates.String()})
			ok, ret, err := e.o.Backend.Run(lctx, id, fun, arg, e.o.Config.stateTimeout())
			if err != nil || !ok {
				reason := describeFailure(fun, ret, err)
				h.logf(slog.LevelWarn, "startup states failed", "states", h.g.StartupStates.String(), "reason", reason)
				e.fire(h.m, "states_failed", map[string]any{"states": h.g.StartupStates.String(), "error": reason, "return": ret})
				if ctx.Err() != nil {
					return false
				}
				return h.finish(ctx, ResultAbandon, "startup states failed: "+reason)
			}
			e.fire(h.m, "states_applied", map[string]any{"states": h.g.StartupStates.String()})
		}
		h.step(ctx, stepStates)
	}
	return h.finish(ctx, ResultContinue, "")
}

// terminate lets the instance's minion leave: clean state, then its key,
// grains and mine data deleted, then CONTINUE. A clean state that fails is
// reported, and the instance still goes (it is being terminated anyway).
func (h *handling) terminate(ctx context.Context) bool {
	e := h.e
	id := h.minion()
	if proto.ValidID(id) != nil {
		return h.finish(ctx, ResultContinue, "no minion id for this instance")
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if h.m.Hook() {
		hi := e.hookTimeouts(ctx, h.m)
		go e.heartbeats(lctx, h.m, max(hi.heartbeat/2, 500*time.Millisecond))
	}
	if h.rec.Step == "" {
		if !h.g.CleanState.IsZero() {
			if e.o.Backend.KeyState(id) == keyAccepted && e.o.Backend.Connected(id) {
				fun, arg := stateCall(h.g.CleanState)
				ok, ret, err := e.o.Backend.Run(lctx, id, fun, arg, e.o.Config.stateTimeout())
				if ctx.Err() != nil {
					return false
				}
				if err != nil || !ok {
					reason := describeFailure(fun, ret, err)
					h.logf(slog.LevelWarn, "clean state failed; the minion is removed anyway", "reason", reason)
					e.fire(h.m, "clean_failed", map[string]any{"states": h.g.CleanState.String(), "error": reason})
				} else {
					e.fire(h.m, "cleaned", map[string]any{"states": h.g.CleanState.String()})
				}
			} else {
				e.fire(h.m, "clean_skipped", map[string]any{"reason": "the minion is not connected"})
			}
		}
		h.step(ctx, stepCleaned)
	}
	if h.rec.Step == stepCleaned {
		known := e.o.Backend.KeyState(id) != ""
		if err := e.o.Backend.DeleteMinion(lctx, id); err != nil {
			h.logf(slog.LevelError, "deleting the minion failed", "err", err)
			e.fire(h.m, "error", map[string]any{"error": "deleting the key: " + err.Error()})
			return false
		}
		h.step(ctx, stepDeleted)
		e.fire(h.m, "deleted", map[string]any{"had_key": known})
	}
	return h.finish(ctx, ResultContinue, "")
}

// waitKey waits until id's key is pending or accepted.
func (h *handling) waitKey(ctx context.Context, id string, wait time.Duration) (string, error) {
	first := true
	var state string
	err := h.poll(ctx, wait, func() bool {
		state = h.e.o.Backend.KeyState(id)
		if first && state == "" {
			h.e.fire(h.m, "waiting", map[string]any{"for": "key"})
		}
		first = false
		return state == keyPending || state == keyAccepted || state == proto.KeyRejected || state == proto.KeyDenied
	})
	if err != nil {
		return "", err
	}
	switch state {
	case proto.KeyRejected:
		return "", errors.New("its key is rejected")
	case proto.KeyDenied:
		return "", errors.New("another key was presented for its id (denied)")
	}
	return state, nil
}

// waitConnected waits until id is connected.
func (h *handling) waitConnected(ctx context.Context, id string, wait time.Duration) error {
	return h.poll(ctx, wait, func() bool { return h.e.o.Backend.Connected(id) })
}

// waitAnswers sends test.ping until the minion answers: a minion that
// has just connected may still be setting up, and a job lost then would
// cost the whole launch; a lost ping costs one more.
func (h *handling) waitAnswers(ctx context.Context, id string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	var last error
	for time.Now().Before(deadline) {
		ok, _, err := h.e.o.Backend.Run(ctx, id, "test.ping", nil, pingTimeout)
		if ok {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		last = err
		h.logf(slog.LevelInfo, "minion did not answer test.ping yet", "err", err)
	}
	return fmt.Errorf("no answer to test.ping within %s: %v", wait, last)
}

// pingTimeout bounds one test.ping of waitAnswers.
const pingTimeout = 5 * time.Second

// poll calls cond every PollInterval until it holds, wait passes or ctx
// ends.
func (h *handling) poll(ctx context.Context, wait time.Duration, cond func() bool) error {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	t := time.NewTicker(h.e.o.PollInterval)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("not there after %s", wait)
		case <-t.C:
		}
	}
	return nil
}

// checkIdentity verifies the identity document id presented: AWS's
// signature, the instance id of the message, a recent pendingTime, and an
// instance that never joined before (recorded once it is accepted).
func (h *handling) checkIdentity(ctx context.Context, id string) error {
	e := h.e
	if e.o.Identity == nil || e.o.Joined == nil {
		return errors.New("no AWS certificate configured to verify identity documents (autoscale.identity_cert)")
	}
	doc, sig, ok := e.o.Backend.Identity(id)
	if !ok {
		return errors.New("the minion presented no instance identity document")
	}
	inst, pending, err := e.o.Identity.Verify(doc, sig)
	if err != nil {
		return err
	}
	if inst != h.m.EC2InstanceID {
		return fmt.Errorf("the identity document is instance %s's, not %s's", inst, h.m.EC2InstanceID)
	}
	now := e.o.Now()
	if age := now.Sub(pending); age > identityMaxAge || age < -5*time.Minute {
		return fmt.Errorf("the identity document's pendingTime %s is not recent", pending.UTC().Format(time.RFC3339))
	}
	b, _ := json.Marshal(map[string]any{"minion": id, "group": h.m.AutoScalingGroupName, "at": now.UTC()})
	if _, err := e.o.Joined.Create(ctx, inst, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("instance %s has joined before", inst)
		}
		return fmt.Errorf("recording the instance: %w", err)
	}
	return nil
}

// stateCall is the function and arguments that apply s.
func stateCall(s StateList) (string, []any) {
	if s.Highstate {
		return "state.highstate", nil
	}
	return "state.apply", []any{strings.Join(s.SLS, ",")}
}

// describeFailure says why fun failed, briefly.
func describeFailure(fun string, ret any, err error) string {
	if err != nil {
		return fmt.Sprintf("%s: %v", fun, err)
	}
	if m, ok := ret.(map[string]any); ok {
		var failed []string
		for k, v := range m {
			if s, ok := v.(map[string]any); ok {
				if r, ok := s["result"].(bool); ok && !r {
					failed = append(failed, k)
				}
			}
		}
		if len(failed) > 0 {
			if len(failed) > 5 {
				failed = append(failed[:5], "...")
			}
			return fmt.Sprintf("%s: %d state(s) failed: %s", fun, len(failed), strings.Join(failed, ", "))
		}
	}
	if s, ok := ret.(string); ok {
		return fmt.Sprintf("%s: %s", fun, truncate(s, 300))
	}
	if l, ok := ret.([]any); ok && len(l) > 0 {
		return fmt.Sprintf("%s: %v", fun, truncate(fmt.Sprint(l[0]), 300))
	}
	return fun + " failed"
}
