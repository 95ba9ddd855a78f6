package runners

import (
	"context"

	"github.com/brine-cm/brine/proto"
)

// The key wheel module: the minions' keys, as salt's wheel.key.

func init() {
	RegisterWheel("key.list_all", `List every key by state: {"minions": [...], "minions_pre": [...], "minions_rejected": [...], "minions_denied": [...]}.

Example (API lowstate):

    {"client": "wheel", "fun": "key.list_all"}`, keyListAll)

	RegisterWheel("key.finger", `Return the fingerprint of every key, by state and minion id.

Example (API lowstate):

    {"client": "wheel", "fun": "key.finger"}`, keyFinger)

	RegisterWheel("key.accept", `Accept the pending keys match (a glob of minion ids) selects; a rejected key only when named exactly. Returns {"changed": [ids]}.

Example (API lowstate):

    {"client": "wheel", "fun": "key.accept", "match": "web*"}`, keyAction("key.accept", Keys.AcceptKeys))

	RegisterWheel("key.reject", `Reject the pending keys match (a glob of minion ids) selects; an accepted key only when named exactly, and it is disconnected. Returns {"changed": [ids]}.

Example (API lowstate):

    {"client": "wheel", "fun": "key.reject", "match": "web1"}`, keyAction("key.reject", Keys.RejectKeys))

	RegisterWheel("key.delete", `Delete the keys match (a glob of minion ids) selects, with their grains and mine data, and disconnect those minions. Returns {"changed": [ids]}.

Example (API lowstate):

    {"client": "wheel", "fun": "key.delete", "match": "old-*"}`, keyAction("key.delete", Keys.DeleteKeys))
}

// keysByState lists keys (or their fingerprints) under each key state.
func keysByState(ctx context.Context, env Env, call Call) (map[string]any, map[string]map[string]string, error) {
	keys, err := Need[Keys](env, call, "key management")
	if err != nil {
		return nil, nil, err
	}
	infos, err := keys.ListKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]any{proto.KeyAccepted: []string{}, proto.KeyPending: []string{}, proto.KeyRejected: []string{}, proto.KeyDenied: []string{}}
	fingers := map[string]map[string]string{}
	for _, k := range infos {
		ids, _ := out[k.State].([]string)
		out[k.State] = append(ids, k.ID)
		if fingers[k.State] == nil {
			fingers[k.State] = map[string]string{}
		}
		fingers[k.State][k.ID] = k.Finger
	}
	return out, fingers, nil
}

func keyListAll(ctx context.Context, env Env, call Call) (any, error) {
	out, _, err := keysByState(ctx, env, call)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func keyFinger(ctx context.Context, env Env, call Call) (any, error) {
	_, fingers, err := keysByState(ctx, env, call)
	if err != nil {
		return nil, err
	}
	return fingers, nil
}

// keyAction is key.accept, key.reject or key.delete: match (positional
// or match=, else name=) selects the keys.
func keyAction(fun string, act func(Keys, context.Context, string) ([]string, error)) Func {
	return func(ctx context.Context, env Env, call Call) (any, error) {
		match, _ := call.String(0, "match")
		if match == "" {
			match, _ = call.String(0, "name")
		}
		if match == "" {
			return nil, BadArg("wheel %s needs match=<id glob>", fun)
		}
		keys, err := Need[Keys](env, call, "key management")
		if err != nil {
			return nil, err
		}
		changed, err := act(keys, ctx, match)
		if err != nil {
			return nil, err
		}
		return proto.KeyActionReply{Changed: changed}, nil
	}
}
