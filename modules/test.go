package modules

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/brine-cm/brine/proto"
)

// The test module: functions for checking that minions answer.

func init() {
	Register("test.ping", `Return true: used to check that a minion is up and answering jobs. Nothing is run on the host.

CLI Example:

    ctl '*' test.ping`, testPing)

	Register("test.echo", `Return the string passed as text, unchanged: used to check argument passing.

CLI Example:

    ctl '*' test.echo 'foo bar baz quo qux'`, testEcho)

	Register("test.sleep", `Sleep for length seconds (a number, fractions allowed) and return true; the sleep ends early with an error when the job is cancelled or times out.

CLI Example:

    ctl '*' test.sleep 20`, testSleep)

	Register("test.version", `Return the Brine version running on the minion.

CLI Example:

    ctl '*' test.version`, testVersion)

	Register("test.arg", `Return the arguments the function received, as {"args": [positional...], "kwargs": {key: value...}}, after YAML parsing: used to see how ctl passes arguments.

CLI Example:

    ctl '*' test.arg 1 "two" 3.1 txt="hello" wow='{a: 1, b: "hello"}'`, testArg)
}

func testPing(ctx context.Context, env *Env, call Call) (any, error) {
	return true, nil
}

func testEcho(ctx context.Context, env *Env, call Call) (any, error) {
	return call.String(0, "text", nil)
}

func testSleep(ctx context.Context, env *Env, call Call) (any, error) {
	length, err := call.Float(0, "length", nil)
	if err != nil {
		return nil, err
	}
	if length < 0 || math.IsNaN(length) {
		return nil, badArg("argument 'length' must not be negative, got %g", length)
	}
	d := time.Duration(math.MaxInt64)
	if length < d.Seconds() {
		d = time.Duration(length * float64(time.Second))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sleep of %gs interrupted: %w", length, ctx.Err())
	}
}

func testVersion(ctx context.Context, env *Env, call Call) (any, error) {
	return proto.Version, nil
}

func testArg(ctx context.Context, env *Env, call Call) (any, error) {
	args := make([]any, len(call.Args))
	copy(args, call.Args)
	kwargs := make(map[string]any, len(call.Kwargs))
	for k, v := range call.Kwargs {
		kwargs[k] = v
	}
	return map[string]any{"args": args, "kwargs": kwargs}, nil
}
