package runners

import (
	"context"

	"github.com/brine-cm/brine/proto"
)

// The mine runner: the minions' mine data, read on the master.

func init() {
	Register("mine.get", `Return fun's mine data of the minions the target matches, keyed by minion id. tgt_type (or expr_form) is the target's kind, default glob; the master may target by pillar.

CLI Example:

    ctl run mine.get 'web*' network.ip_addrs
    ctl run mine.get 'roles:web' network.ip_addrs tgt_type=grain`, mineGet)
}

func mineGet(_ context.Context, env Env, call Call) (any, error) {
	tgt, ok1 := call.String(0, "tgt")
	fun, ok2 := call.String(1, "fun")
	if !ok1 || !ok2 {
		return nil, BadArg("mine.get needs a target and a function: mine.get TARGET FUN [tgt_type=glob]")
	}
	tt, _ := call.String(2, "tgt_type")
	if tt == "" {
		tt, _ = call.Kwargs["expr_form"].(string)
	}
	if tt == "" {
		tt = "glob"
	}
	mine, err := Need[Mine](env, call, "the mine")
	if err != nil {
		return nil, err
	}
	return mine.MineGet(proto.Target{Expr: tgt, Type: tt}, fun)
}
