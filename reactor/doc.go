// Package reactor is Salt's reactor: it watches the event bus and, for
// every event whose tag matches a rule of the master's `reactor` config,
// renders the rule's reactor SLS files and starts the reactions they
// describe. It knows nothing of the master's internals: everything it
// starts goes through a Backend.
//
// # Rules
//
// The master config lists rules as Salt does:
//
//	reactor:
//	  - 'salt/netapi/hook/deploy/*':
//	      - /srv/reactor/deploy.sls
//	  - 'salt/cloud/*/created': [salt://reactor/created.sls]
//
// ParseRules turns that into []Rule. A tag glob is Python's fnmatch, as in
// Salt: '*' matches any run of characters including '/', '?' one
// character, '[seq]' and '[!seq]' a character class; matching is case
// sensitive. When several rules match an event, their files are rendered in
// rule order, each file once.
//
// # Reactor files
//
// Each file is read through Config.Loader (an absolute path or a salt://
// URL, passed to the Loader as written) and rendered by render.SLS
// (Jinja then YAML unless a shebang says otherwise) with the variables
// `tag` and `data` (the event) and `opts` (Config.Opts). The result maps
// reaction IDs to one or more reaction types, in Salt's format:
//
//	deploy_app:
//	  local.state.sls:
//	    - tgt: 'roles:{{ tag.split("/")[-1] }}'
//	    - tgt_type: grain            # or the older expr_form; default glob
//	    - arg: [app.deploy, prod]
//	    - kwarg: {test: false}
//	    - pillar: {branch: main}     # becomes kwarg pillar
//	    - if: data.headers["X-Github-Event"] == "push"
//	orchestrate:
//	  runner.state.orchestrate:
//	    - args:                      # new style: a list of {key: value}
//	      - mods: orch.deploy
//	      - pillar: {event_tag: {{ tag }}}
//	accept:
//	  wheel.key.accept:
//	    - match: {{ data['id'] }}    # `- name:` works too for key.*
//	say_hello:
//	  caller.cmd.run:               # runs on the event's minion, data.id
//	    - args: [echo hello]
//
// Types are local (also the legacy alias cmd), runner, wheel and caller.
// The function may also be given as a bare string item or `- fun:` under
// the type alone (`local: [state.sls, {tgt: web*}]`). For runner and wheel
// in the legacy style every item other than fun, arg, kwarg, args and if
// is a keyword argument (`- mods: x`, `- match: id`); for local and caller
// other items are keyword arguments too, except Salt's publish options
// (ret, timeout, jid, metadata, listen, full_return, queue, batch) and
// name, which Salt's compiler fills in with the ID, which are ignored.
// When `args` is present, arg, kwarg and the other items are ignored as in
// Salt (a warning is logged), except pillar. A caller reaction whose args
// is a plain list takes it as positional arguments (Salt's legacy form).
// A file whose render fails or whose structure is wrong starts none of its
// reactions; the other files and rules are unaffected.
//
// `if:` is a Brine extension: an expr-lang expression over `tag` and
// `data`; it may stand among the items or beside the type under the ID.
// When it is false the reaction is skipped (and the skip reported); when it
// cannot be evaluated the reaction is not run and the error is reported.
//
// # Execution and events
//
// Handle never blocks: it matches the tag, checks depth and the per-tag
// rate limit and puts the event on a bounded queue; Config.Workers
// goroutines started by Start render the files and run the reactions, in
// file and declaration order. local and caller publish asynchronously (the
// Backend returns a jid); runner and wheel return their result.
//
// The engine fires, through Backend.Fire:
//
//	brine/reactor/<id>/result   every reaction run or skipped:
//	                            {tag, file, reaction, fun, depth, success,
//	                             result | error | skipped+reason, arg, kwarg,
//	                             tgt, tgt_type (local), minion (caller)}
//	brine/reactor/error         a file that cannot be read, rendered or
//	                            parsed: {tag, file, error, depth}; also an
//	                            event dropped because the queue was full:
//	                            {tag, error, dropped}
//	brine/reactor/rate_limited  {tag, dropped, rate, burst}
//	brine/reactor/depth_exceeded {tag, depth, max_depth}
//
// A result larger than 256 KiB once JSON-encoded, or not encodable, is
// replaced by a note saying so. Reading and rendering a file is bounded by
// Config.RenderTimeout (default 30s, as far as the renderer honours its
// context); Backend calls get the Start context, unbounded.
//
// In a result tag the reaction ID has '/' and control characters replaced
// by '_' and is cut to 128 bytes; the data carries the ID as written.
// Drop notices (queue full, rate limited) are fired at most once a second
// per tag, with the number of events dropped since the last notice, and a
// notice is never fired about an event that is itself one of the
// engine's notices (error, rate_limited, depth_exceeded) — those drops are
// only logged — so that a rule matching brine/reactor/* cannot feed on
// itself.
//
// Secrets: pillar given to a reaction (kwarg pillar, `- pillar:`, a
// positional "pillar=..." argument) is never logged nor put in an event;
// result events show only its top-level keys. Arguments of cmd.run,
// cmd.run_all, cmd.retcode, cmd.script and grains.setval appear only as a
// count, as in the master's job events, and results of pillar.* and
// pillar_roots.* functions as "<redacted>". The event data itself is not
// copied into result events.
//
// # Depth
//
// A reaction can cause events that match a rule again (a rule on its own
// result event, a state run whose returns trigger the same reaction). To
// stop such loops every event carries a depth: an event whose data has no
// "_reactor_depth" (DepthKey) is at depth 0; the reactions it triggers run
// at depth 1, and so on. The engine
//
//   - reads data["_reactor_depth"] (any integer or float type, json.Number
//     or a decimal string) in Handle and refuses to react to an event at
//     depth >= MaxDepth (default 3), firing brine/reactor/depth_exceeded;
//   - puts "_reactor_depth": d+1 into every event it fires while handling
//     an event at depth d (results, errors, notices);
//   - passes the depth d+1 to each Backend call in its context
//     (WithDepth); DepthFrom reads it. A Backend (the master) must stamp
//     the events the reaction's work causes — salt/job/<jid>/new and
//     /ret/<id> of a job a reaction published, the events of an
//     orchestration or cloud.create it ran — with "_reactor_depth":
//     DepthFrom(ctx), so that their reactions run one level deeper.
//
// With the default MaxDepth of 3, at most three generations of reactions
// follow one external event. Events from minions should have any
// "_reactor_depth" removed by the master before they reach Handle, unless
// a minion may opt out of reactions to its own events.
package reactor
