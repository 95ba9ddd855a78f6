// Package render is Salt's SLS rendering pipeline: Jinja, then YAML.
//
// # Renderers
//
// Each renderer (jinja, yaml, yamlex, json, gpg) registers by name from its
// own file (renderer_*.go, RegisterRenderer); SLS runs the pipeline an
// SLS file's shebang line names ("#!jinja|yaml" when there is none),
// asking the registry for each stage. A name nobody registered is an
// error at line 1 of the file; the pipeline must end in data.
//
// SLS renders a state, pillar, top, orchestration or reactor file the way
// Salt's default "jinja|yaml" renderer does and returns its data as an
// ordered *Map; Jinja renders any text template (file.managed
// template: jinja, cloud and master configuration files). The template
// sees Salt's variables (grains, pillar, opts, salt, saltenv, sls,
// slspath, sls_path, slsdotpath, slscolonpath, tpldir, tpldot, tplfile,
// tplpath, and tpldirs, the directories from the file root down to
// tpldir) plus Context.Extra (tag and data for reactor files). Files for
// include, import, from, extends and Salt's import_yaml/import_json/
// import_text come from the Context's Loader by salt:// path; "./x" and
// "../x" are relative to the importing file.
//
// # Salt functions
//
// salt['mod.fun'](...) and salt.mod.fun(...) call Context.Salt. The
// package provides the pure functions itself, following Salt's code:
// pillar.get (":"-separated keys, default, merge, delimiter),
// pillar.item(s), pillar.raw, grains.get, grains.item(s),
// grains.has_value, grains.filter_by (glob matching, default, merge,
// base), config.get (opts, then grains, then pillar, then pillar's master
// key), config.option, defaults.merge (in place by default, as Salt),
// defaults.deepcopy, defaults.update, slsutil.merge, slsutil.update,
// slsutil.serialize (yaml, json), file.dirname, file.basename, file.join
// and log.* (to slog). Everything that touches the world (cmd.run,
// mine.get, saltutil.cmd, ...) comes from the caller; an entry in
// Context.Salt replaces a default of the same name (Provides lists the
// defaults, so that a caller can leave out its own of the same name). Functions
// receive plain Go values; the old keyword expr_form is renamed tgt_type.
// A function missing from the table fails the render with "salt function
// 'x.y' is not available" at the line of the call (and "salt['x.y'] is
// defined" is false).
//
// # Jinja
//
// Expressions ({{ }}, if, elif, set, do, for, with, include, import,
// from, macro defaults, call and filter arguments) are parsed with a
// port of Jinja2's expression grammar (exprparse.go), so precedence and
// associativity are Jinja2's: filters and "is" tests bind tighter than
// any binary operator ('launch' in subject|lower lowers subject first),
// comparisons chain (1 < x < 3), ** is left-associative and binds tighter
// than unary minus (-2 ** 2 is 4, and, as Jinja2 3.1's generated code
// has it, -3 ** n is -(3 ** n)), "not" repeats, and an inline
// "a if b else c" may appear anywhere. testdata/gen_exprs.py checks about
// 2,600 generated expressions against Jinja2.
//
// Templates are parsed by gonja v2 (pongo2 cannot parse Salt's idioms)
// and then rewritten so that they behave like Jinja2 3.1 under Salt's
// settings (StrictUndefined, the do and loopcontrols extensions, Salt's
// serializer extension, trim_blocks and lstrip_blocks off, the trailing
// newline kept). The rewrite replaces gonja's text and {{ }} nodes, its
// for, if, set, with, filter, macro, call, do, include, import and from
// tags, and turns literals, operators, attribute and item lookups, slices
// and calls into Go closures with Python semantics:
//
//   - lists, dicts and namespaces are shared references: append, extend,
//     insert, pop, remove, sort, update, setdefault, clear mutate the
//     object every variable sees; dicts keep insertion order (literals,
//     update, *Map values given by the caller, load_yaml and load_json
//     results);
//   - f(...).method() evaluates f once (gonja evaluates the receiver of a
//     method call twice); calls are not memoised, so a loop calling
//     salt['cmd.run'] runs it each time, as Salt does;
//   - {{ None }} prints None, {{ 2**3 }} 8, -7 // 2 is -4, -7 % 3 is 2,
//     'x' ~ None is xNone, 'a%sb' % x and str.format follow Python,
//     lists, tuples and dicts print with Python's repr, floats with
//     Python's shortest repr, x[-1] works on one-element lists;
//   - undefined variables, attributes and items raise when used, with
//     Jinja's messages ("'dict object' has no attribute 'x'"), while
//     "is defined", "|default" and "{% set x = missing %}" work;
//   - import, from and import_yaml render the imported file as a module
//     that exports its top-level variables and macros; include sees the
//     includer's variables (but not loop), without leaking its own;
//   - filters of Jinja2 and of Salt: yaml (a port of PyYAML's emitter, flow
//     style), json, tojson, load_yaml, load_json, load_text, python,
//     yaml_encode, yaml_dquote, yaml_squote, unique (Salt's), min, max,
//     avg, union, intersect, difference, symmetric_difference, to_bool,
//     quote, regex_search, regex_match, regex_replace, regex_escape, md5,
//     sha1, sha256, sha512, base64_encode, base64_decode, uuid, sequence,
//     exactly_n_true, exactly_one_true, traverse, path_join, flatten,
//     is_list, is_iter, to_num, sorted_ignorecase, compare_lists,
//     compare_dicts, substring_in_list, contains_whitespace, is_hex,
//     to_snake_case, to_camelcase, human_to_bytes, is_ip, is_ipv4,
//     is_ipv6, ipwrap, which, set/append/extend/update_dict_key_value
//     (saltfilters.go, checked against Salt's own code), plus Jinja's (default, first,
//     last, join, length, list, sort, dictsort, items, map, select, reject,
//     selectattr, rejectattr, groupby, sum, int, float, round, indent,
//     format, replace, upper, lower, trim, ... and gonja's string filters);
//     tests of Jinja2 plus Salt's match and list; globals range, dict,
//     namespace, odict, raise, cycler, joiner, lipsum.
//
// testdata/gen_expected.py renders every test template with real Jinja2
// and a Salt shim; the tests compare outputs byte for byte.
//
// Differences from Jinja2 and Salt that remain:
//
//   - a {% call %} block cannot declare parameters ({% call(x) m() %});
//     *args and **kwargs are refused in filter and test calls (calls of
//     functions and macros take them); integer literals are 64-bit, and integer arithmetic that
//     overflows gives a float instead of a Python long; float ** with an
//     exponent that is not a multiple of 1/2 may differ from Python's in
//     the last digit;
//   - dict keys are strings (a non-string key is stored under its str());
//     keyword arguments reach dict(), namespace() and update() in sorted
//     order, not call order; the top-level keys of Context.Grains, Pillar
//     and Opts and any plain Go map a caller passes iterate in sorted
//     order (nested *Map values keep theirs);
//   - d.keys(), d.values(), d.items(), range() and |reverse give lists,
//     so printing them directly shows a list rather than dict_keys(...),
//     range(0, 3) or an iterator; unique, union and friends return ordered
//     lists where Salt returns sets for strings and tuples; |python prints
//     on one line where pprint wraps at 80 columns;
//   - errors raised inside Jinja tests lose their type (gonja turns them
//     into strings); "{% set x = a.b.c %}" with a undefined stores an
//     undefined value where Jinja2 raises at once;
//   - sandboxing is Go's: a template reaches nothing but its values, and
//     the exported fields and methods of Go values a caller puts in
//     Context.Extra.
//
// # YAML
//
// The YAML stage reads the rendered text as Salt's loader (PyYAML, YAML
// 1.1) does: yes, no, on and off are booleans, 1:30 is 90, "<<" merges
// mappings, 0755 is 755 (Salt strips the leading zeros PyYAML would read
// as octal), and duplicate keys are refused, naming both lines. Keys are kept as their text, timestamps stay
// strings (PyYAML would build datetimes). Errors name the SLS file and,
// when Jinja ran, the rendered line, mapped back to the template line
// that produced it ("web/init.sls:12: yaml: mapping values are not allowed
// in this context (rendered line 40)").
//
// # Limits
//
// A render stops when its context is done, when it exceeds its budget of
// Context.MaxSteps steps (DefaultMaxSteps, 10,000,000, unless set: loop
// iterations, printed expressions, operators, lookups, filter and test
// calls, one per item or KiB of string a filter goes through, per element
// range() builds and per KiB of string an operator builds; the error
// names the template and line reached), and at 64 nested
// include/import/macro calls, 1,000,000 elements in a range or a list
// built by an operator, 64 MiB in a string built by an operator, 256 MiB
// of output, 256 nested brackets or blocks, about 1,000 levels of nested
// or chained operators. Panics inside gonja are recovered into an
// "internal error".
//
// # Memory
//
// A source without {{, {% or {# skips the Jinja stage. gonja is handed a
// skeleton of the template (long runs of text become markers keeping
// their newlines) because its lexer preallocates some 20 bytes of tokens
// per byte of input; the source is lexed here a MiB at a time. A
// template over 4 MiB renders in top-level segments of about 4 MiB
// (segment.go): cut in text at block depth 0, each segment parsed,
// rewritten and rendered in turn into the same output and the same
// top-level variables, its AST and closures garbage once it has rendered
// (but for the segments defining macros, which the macros keep). A
// template using extends or block, with a syntax error anywhere, or
// without text at depth 0 to cut at (one big loop) renders whole. Big
// YAML texts are decoded a 64 KiB group of top-level IDs at a time,
// falling back to the whole text for anything a group cannot decode
// alone. BenchmarkSLSMemoryYAML and BenchmarkSLSMemoryJinja measure the
// peak heap of a 50 MB SLS (about 1.1 GB for either); the resulting *Map
// itself takes about 14 bytes per byte of YAML, the rest is the rendered
// text and garbage the collector has not reclaimed yet.
package render
