#!/usr/bin/env python3
"""Generate the expected outputs of the render tests with real Jinja2.

Run from anywhere:  python3 render/testdata/gen_expected.py
Needs jinja2 (3.1.x) and PyYAML.

Each case is a template plus a JSON file describing its context:

  testdata/<name>.sls + <name>.json   SLS files: Jinja stage, then YAML stage
      writes <name>.expected       (the rendered text, or "ERROR: ..." when
                                    Jinja2 raises)
             <name>.expected.json  (the YAML structure, keys in file order)
  testdata/idioms/<name>.jinja       small templates sharing
                                     testdata/idioms/context.json
      writes <name>.expected

The environment mirrors Salt's salt.utils.templates.render_jinja_tmpl:
SandboxedEnvironment, StrictUndefined, the do and loopcontrols extensions,
a SerializerExtension (import_yaml/json/text, load_yaml/json/text, the
yaml/json/python filters), Salt's extra filters and tests, its finalizer,
and the trailing newline it puts back. The salt functions come from the
"salt" stubs of the context (call tables) plus the pure functions Salt
ships (pillar.get, grains.get, grains.filter_by, defaults.merge, ...),
reimplemented here after Salt's code. Template files for include/import
are looked up in testdata/srv, then testdata.

Context JSON keys: grains, pillar, opts, saltenv, sls, name (template name,
default the file name), extra (variables), salt: {"mod.fun": [{"args": [...],
"kwargs": {...}, "return": ...}, ...]} (first entry whose args and kwargs
match; kwargs expr_form is renamed tgt_type as Brine does), yaml (false to
skip the YAML stage).
"""

import base64
import collections
import copy
import fnmatch
import hashlib
import json
import os
import pprint
import re
import shlex
import sys
import uuid

import jinja2
import jinja2.ext
import jinja2.sandbox
import yaml
from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- YAML


class SaltLoader(yaml.SafeLoader):
    """salt.utils.yamlloader.SaltYamlSafeLoader: duplicate keys refused,
    leading zeros of ints stripped (0644 is 644), minus timestamps (Brine
    keeps them as strings)."""

    def construct_scalar(self, node):
        if node.tag == "tag:yaml.org,2002:int":
            if node.value == "0":
                pass
            elif node.value.startswith("0") and not node.value.startswith(("0b", "0x")):
                node.value = node.value.lstrip("0")
                if node.value == "":
                    node.value = "0"
        elif node.tag == "tag:yaml.org,2002:str":
            if re.match(r'^u([\'"]).+\1$', node.value, flags=re.IGNORECASE):
                node.value = eval(node.value, {}, {})
        return super().construct_scalar(node)

    def construct_mapping(self, node, deep=False):
        self.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            value = self.construct_object(value_node, deep=deep)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, "found conflicting ID %r" % key, key_node.start_mark)
            mapping[key] = value
        return mapping


SaltLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SaltLoader.add_constructor("tag:yaml.org,2002:map", SaltLoader.construct_mapping)


def yaml_load(text):
    return yaml.load(text, Loader=SaltLoader)


class SafeOrderedDumper(yaml.SafeDumper):
    pass


def _represent_undefined(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:null", "NULL")


SafeOrderedDumper.add_representer(None, _represent_undefined)


def safe_dump(data, **kwargs):
    kwargs.setdefault("allow_unicode", True)
    kwargs.setdefault("default_flow_style", None)
    return yaml.dump(data, Dumper=SafeOrderedDumper, **kwargs)


# ---------------------------------------------------------------- Salt's Jinja extension


class SerializerExtension(Extension):
    """After salt.utils.jinja.SerializerExtension."""

    tags = {"load_yaml", "load_json", "import_yaml", "import_json", "load_text", "import_text", "profile"}

    def __init__(self, environment):
        super().__init__(environment)
        self.environment.filters.update({
            "yaml": self.format_yaml,
            "json": self.format_json,
            "python": self.format_python,
            "load_yaml": self.load_yaml,
            "load_json": self.load_json,
            "load_text": self.load_text,
        })
        self.environment.finalize = self.finalizer

    def finalizer(self, data):
        # Salt prints dicts through PrintableDict, whose str() is repr-like
        return data

    def format_json(self, value, sort_keys=True, indent=None):
        return Markup(json.dumps(value, sort_keys=sort_keys, indent=indent, ensure_ascii=False).strip())

    def format_yaml(self, value, flow_style=True):
        txt = safe_dump(value, default_flow_style=flow_style).strip()
        if txt.endswith("\n..."):
            txt = txt[: len(txt) - 4]
        return Markup(txt)

    def format_python(self, value):
        return Markup(pprint.pformat(value).strip())

    def load_yaml(self, value):
        if isinstance(value, jinja2.environment.TemplateModule):
            value = str(value)
        try:
            return yaml_load(value)
        except yaml.YAMLError as exc:
            raise jinja2.exceptions.TemplateRuntimeError("Unable to load yaml from %s" % value) from exc

    def load_json(self, value):
        if isinstance(value, jinja2.environment.TemplateModule):
            value = str(value)
        return json.loads(value)

    def load_text(self, value):
        if isinstance(value, jinja2.environment.TemplateModule):
            value = str(value)
        return value

    def parse(self, parser):
        if parser.stream.current.value == "import_yaml":
            return self.parse_import(parser, "yaml")
        if parser.stream.current.value == "import_json":
            return self.parse_import(parser, "json")
        if parser.stream.current.value == "import_text":
            return self.parse_import(parser, "text")
        if parser.stream.current.value in ("load_yaml", "load_json", "load_text"):
            return self.parse_load(parser)
        if parser.stream.current.value == "profile":
            return self.parse_profile(parser)
        parser.fail("Unknown format " + parser.stream.current.value, parser.stream.current.lineno)

    def parse_profile(self, parser):
        lineno = next(parser.stream).lineno
        parser.stream.expect("name:as")
        parser.parse_expression()
        body = parser.parse_statements(["name:endprofile"], drop_needle=True)
        return body

    def parse_load(self, parser):
        filter_name = parser.stream.current.value
        lineno = next(parser.stream).lineno
        if filter_name not in self.environment.filters:
            parser.fail("Unable to parse {}".format(filter_name), lineno)
        parser.stream.expect("name:as")
        target = parser.parse_assign_target()
        macro_name = "_" + parser.free_identifier().name
        macro_body = parser.parse_statements(("name:endload",), drop_needle=True)
        return [
            nodes.Macro(macro_name, [], [], macro_body).set_lineno(lineno),
            nodes.Assign(
                target,
                nodes.Filter(
                    nodes.Call(nodes.Name(macro_name, "load").set_lineno(lineno), [], [], None, None).set_lineno(lineno),
                    filter_name, [], [], None, None,
                ).set_lineno(lineno),
            ).set_lineno(lineno),
        ]

    def parse_import(self, parser, converter):
        import_node = parser.parse_import()
        target = import_node.target
        lineno = import_node.lineno
        return [
            import_node,
            nodes.Assign(
                nodes.Name(target, "store").set_lineno(lineno),
                nodes.Filter(nodes.Name(target, "load").set_lineno(lineno), "load_{}".format(converter), [], [], None, None).set_lineno(lineno),
            ).set_lineno(lineno),
        ]


# ---------------------------------------------------------------- Salt's filters and tests


def f_unique(values):
    if isinstance(values, collections.abc.Hashable):
        # Salt returns a set here; Brine keeps the order
        ret = []
        for v in values:
            if v not in ret:
                ret.append(v)
        return ret
    ret = []
    for value in values:
        if value not in ret:
            ret.append(value)
    return ret


def f_union(a, b):
    return f_unique(list(a) + list(b))


def f_intersect(a, b):
    return f_unique([e for e in a if e in b])


def f_difference(a, b):
    return f_unique([e for e in a if e not in b])


def f_symmetric_difference(a, b):
    u, i = f_union(a, b), f_intersect(a, b)
    return f_unique([e for e in u if e not in i])


def f_to_bool(val):
    if val is None:
        return False
    if isinstance(val, bool):
        return val
    if isinstance(val, str):
        return val.lower() in ("yes", "1", "true")
    if isinstance(val, int):
        return val > 0
    if not isinstance(val, collections.abc.Hashable):
        return len(val) > 0
    return False


def f_regex_search(txt, rgx, ignorecase=False, multiline=False):
    flag = 0
    if ignorecase:
        flag |= re.I
    if multiline:
        flag |= re.M
    obj = re.search(rgx, txt, flag)
    if not obj:
        return None
    return obj.groups()


def f_regex_match(txt, rgx, ignorecase=False, multiline=False):
    flag = 0
    if ignorecase:
        flag |= re.I
    if multiline:
        flag |= re.M
    obj = re.match(rgx, txt, flag)
    if not obj:
        return None
    return obj.groups()


def f_regex_replace(txt, rgx, val, ignorecase=False, multiline=False):
    flag = 0
    if ignorecase:
        flag |= re.I
    if multiline:
        flag |= re.M
    return re.sub(rgx, val, txt, flags=flag)


def f_yaml_dquote(text):
    with _Stream() as s:
        e = yaml.emitter.Emitter(s, width=sys.maxsize)
        e.write_double_quoted(str(text))
        return s.value


def f_yaml_squote(text):
    with _Stream() as s:
        e = yaml.emitter.Emitter(s, width=sys.maxsize)
        e.write_single_quoted(str(text))
        return s.value


class _Stream:
    def __init__(self):
        self.parts = []

    def write(self, s):
        self.parts.append(s)

    @property
    def value(self):
        return "".join(self.parts)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def f_yaml_encode(data):
    yrepr = yaml.representer.SafeRepresenter()
    ynode = yrepr.represent_data(data)
    if not isinstance(ynode, yaml.ScalarNode):
        raise TypeError("yaml_encode() only works with YAML scalar data; failed for {}".format(type(data)))
    tag = ynode.tag.rsplit(":", 1)[-1]
    ret = ynode.value
    if tag == "str":
        ret = f_yaml_dquote(ynode.value)
    return ret


def exactly_n(lst, n=1):
    i = iter(lst)
    return all(any(i) for j in range(n)) and not any(i)


SALT_FILTERS = {
    "unique": f_unique,
    "min": lambda x: min(x),
    "max": lambda x: max(x),
    "avg": lambda x: sum(x) / len(x),
    "union": f_union,
    "intersect": f_intersect,
    "difference": f_difference,
    "symmetric_difference": f_symmetric_difference,
    "to_bool": f_to_bool,
    "quote": shlex.quote,
    "regex_search": f_regex_search,
    "regex_match": f_regex_match,
    "regex_replace": f_regex_replace,
    "regex_escape": re.escape,
    "md5": lambda s: hashlib.md5(str(s).encode()).hexdigest(),
    "sha1": lambda s: hashlib.sha1(str(s).encode()).hexdigest(),
    "sha256": lambda s: hashlib.sha256(str(s).encode()).hexdigest(),
    "sha512": lambda s: hashlib.sha512(str(s).encode()).hexdigest(),
    "base64_encode": lambda s: base64.b64encode(str(s).encode()).decode(),
    "base64_decode": lambda s: base64.b64decode(str(s).encode()).decode(),
    "sequence": lambda v: v if isinstance(v, (list, tuple)) else [v],
    "exactly_n_true": lambda l, amount=1: exactly_n(l, amount),
    "exactly_one_true": lambda l: exactly_n(l, 1),
    "uuid": lambda v: str(uuid.uuid5(uuid.NAMESPACE_URL, str(v))),
    "yaml_dquote": f_yaml_dquote,
    "yaml_squote": f_yaml_squote,
    "yaml_encode": f_yaml_encode,
}


def t_match(txt, rgx, ignorecase=False, multiline=False):
    flag = 0
    if ignorecase:
        flag |= re.I
    if multiline:
        flag |= re.M
    return bool(re.match(rgx, txt, flag))


SALT_TESTS = {
    "match": t_match,
    "equalto": lambda a, b: a == b,
    "list": lambda v: isinstance(v, list),
}


# ---------------------------------------------------------------- the salt object


def traverse(data, key, default=None, delimiter=":"):
    """salt.utils.data.traverse_dict_and_list"""
    ptr = data
    if isinstance(key, str):
        key = key.split(delimiter)
    if isinstance(key, int):
        key = [key]
    for each in key:
        if isinstance(ptr, list):
            try:
                idx = int(each)
            except ValueError:
                embed_match = False
                for embedded in (x for x in ptr if isinstance(x, dict)):
                    try:
                        ptr = embedded[each]
                        embed_match = True
                        break
                    except KeyError:
                        pass
                if not embed_match:
                    return default
            else:
                try:
                    ptr = ptr[idx]
                except IndexError:
                    return default
        else:
            try:
                ptr = ptr[each]
            except (KeyError, TypeError):
                return default
    return ptr


def dictupdate(dest, upd, recursive_update=True, merge_lists=False):
    """salt.utils.dictupdate.update"""
    updkeys = list(upd.keys())
    if not set(dest.keys()) & set(updkeys):
        recursive_update = False
    if recursive_update:
        for key in updkeys:
            val = upd[key]
            dest_subkey = dest.get(key, None)
            if isinstance(dest_subkey, collections.abc.Mapping) and isinstance(val, collections.abc.Mapping):
                dest[key] = dictupdate(dest_subkey, val, merge_lists=merge_lists)
            elif isinstance(dest_subkey, list) and isinstance(val, list) and merge_lists:
                merged = copy.deepcopy(dest_subkey)
                merged.extend([x for x in val if x not in merged])
                dest[key] = merged
            else:
                dest[key] = upd[key]
        return dest
    for k in upd:
        dest[k] = upd[k]
    return dest


def filter_by(lookup_dict, lookup, traverse_data, merge=None, default="default", base=None):
    """salt.utils.data.filter_by"""
    ret = None
    val = traverse(traverse_data, lookup, [])
    for each in val if isinstance(val, list) else [val]:
        for key in lookup_dict:
            test_key = key if isinstance(key, str) else str(key)
            test_each = each if isinstance(each, str) else str(each)
            if fnmatch.fnmatchcase(test_each, test_key):
                ret = lookup_dict[key]
                break
        if ret is not None:
            break
    if ret is None:
        ret = lookup_dict.get(default, None)
    if base and base in lookup_dict:
        base_values = lookup_dict[base]
        if ret is None:
            ret = base_values
        elif isinstance(base_values, collections.abc.Mapping):
            ret = dictupdate(copy.deepcopy(base_values), ret)
    if merge:
        if ret is None:
            ret = merge
        else:
            dictupdate(ret, copy.deepcopy(merge))
    return ret


class SaltModule:
    def __init__(self, salt, mod):
        self._salt, self._mod = salt, mod

    def __getattr__(self, name):
        return self._salt[self._mod + "." + name]


class Salt(dict):
    """The salt variable: salt['mod.fun'] and salt.mod.fun."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return SaltModule(self, name)


def make_salt(ctx):
    grains, pillar, opts = ctx["grains"], ctx["pillar"], ctx["opts"]
    salt = Salt()

    def pillar_get(key, default="", merge=False, merge_nested_lists=None, delimiter=":", pillarenv=None, saltenv=None):
        if merge:
            if isinstance(default, dict):
                ret = traverse(pillar, key, {}, delimiter)
                if isinstance(ret, collections.abc.Mapping):
                    default = copy.deepcopy(default)
                    return dictupdate(default, ret, merge_lists=bool(merge_nested_lists))
            elif isinstance(default, list):
                ret = traverse(pillar, key, [], delimiter)
                if isinstance(ret, list):
                    default = copy.deepcopy(default)
                    default.extend([x for x in ret if x not in default])
                    return default
        return traverse(pillar, key, default, delimiter)

    def grains_get(key, default="", delimiter=":", ordered=True):
        return traverse(grains, key, default, delimiter)

    def grains_filter_by(lookup_dict, grain="os_family", merge=None, default="default", base=None):
        return filter_by(lookup_dict, grain, grains, merge, default, base)

    _missing = object()

    def config_get(key, default="", delimiter=":", merge=None, omit_opts=False, omit_pillar=False, omit_master=False, omit_grains=False):
        for src, omit in ((opts, omit_opts), (grains, omit_grains), (pillar, omit_pillar)):
            if omit:
                continue
            v = traverse(src, key, _missing, delimiter)
            if v is not _missing:
                return v
        return default

    def defaults_merge(dest, src, merge_lists=False, in_place=True, convert_none=True):
        if convert_none:
            dest = {} if dest is None else dest
            src = {} if src is None else src
        merged = dest if in_place else copy.deepcopy(dest)
        return dictupdate(merged, src, merge_lists=merge_lists)

    salt.update({
        "pillar.get": pillar_get,
        "grains.get": grains_get,
        "grains.filter_by": grains_filter_by,
        "config.get": config_get,
        "defaults.merge": defaults_merge,
        "defaults.deepcopy": copy.deepcopy,
    })

    if os.environ.get("SALT_SRC"):
        # Salt's own code for the pure functions beyond the shim
        sys.path.insert(0, os.environ["SALT_SRC"])
        import importlib

        import salt.modules.file as sfile
        import salt.modules.logmod as slog
        import salt.modules.slsutil as slsutil

        def serialize(serializer, obj, **kwargs):
            mod = importlib.import_module("salt.serializers." + serializer)
            return mod.serialize(obj, **kwargs)

        for level in ("debug", "info", "warning", "error", "critical", "exception"):
            salt["log." + level] = getattr(slog, level)
        salt.update({
            "slsutil.merge": slsutil.merge,
            "slsutil.update": slsutil.update,
            "slsutil.serialize": serialize,
            "file.dirname": sfile.dirname,
            "file.basename": sfile.basename,
            "file.join": sfile.join,
        })

    for name, table in ctx.get("salt", {}).items():
        salt[name] = make_stub(name, table)
    return salt


def make_stub(name, table):
    def stub(*args, **kwargs):
        if "expr_form" in kwargs and "tgt_type" not in kwargs:
            kwargs["tgt_type"] = kwargs.pop("expr_form")
        for entry in table:
            if list(args) != entry.get("args", []):
                continue
            want = entry.get("kwargs", {})
            if any(kwargs.get(k) != v for k, v in want.items()):
                continue
            return copy.deepcopy(entry.get("return"))
        raise RuntimeError("no stub for %s(%r, %r)" % (name, args, kwargs))
    return stub


# ---------------------------------------------------------------- rendering


def sls_vars(sls, name):
    """salt.utils.templates.generate_sls_context, for a file name
    relative to the file root."""
    tplfile = name
    if sls == "" and tplfile.endswith(".sls"):
        s = tplfile[:-4]
        if s.endswith("/init"):
            s = s[:-5]
        sls = s.replace("/", ".")
    tpldir = os.path.dirname(tplfile) or "."
    slspath = sls.replace(".", "/")
    if not tplfile.endswith("/init.sls"):
        slspath = os.path.dirname(slspath)
    dirs = []
    if tpldir != ".":
        parts = tpldir.split("/")
        dirs = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return {
        "sls": sls,
        "slspath": slspath,
        "sls_path": slspath.replace("/", "_"),
        "slsdotpath": slspath.replace("/", "."),
        "slscolonpath": slspath.replace("/", ":"),
        "tplfile": tplfile,
        "tplpath": tplfile,
        "tpldir": tpldir,
        "tpldot": tpldir.replace("/", ".") if tpldir != "." else "",
        "tpldirs": dirs,
    }


class SaltEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """Salt's loader resolves "./x" and "../x" relative to the importing
    template."""

    def join_path(self, template, parent):
        if template.startswith("./") or template.startswith("../"):
            return os.path.normpath(os.path.join(os.path.dirname(parent), template))
        return template


def environment():
    env = SaltEnvironment(
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols", SerializerExtension],
        loader=jinja2.FileSystemLoader([os.path.join(HERE, "srv"), HERE]),
    )
    tojson = env.filters["tojson"]
    env.filters.update(SALT_FILTERS)
    env.filters["tojson"] = tojson
    # Salt's own filters the shim above does not reimplement come from a
    # Salt source tree when SALT_SRC names one (see ../../../shared
    # TECH-NOTES: Salt 3006.1 from source with Debian's packages).
    if os.environ.get("SALT_SRC"):
        sys.path.insert(0, os.environ["SALT_SRC"])
        import salt.loader  # noqa: F401  (imports every module with @jinja_filter)
        import salt.utils.jinja  # noqa: F401
        from salt.utils.decorators.jinja import JinjaFilter

        for k, v in JinjaFilter.salt_jinja_filters.items():
            env.filters.setdefault(k, v)
    env.tests.update(SALT_TESTS)
    env.globals["odict"] = collections.OrderedDict

    def raise_(msg):
        raise jinja2.exceptions.TemplateError(msg)

    env.globals["raise"] = raise_
    return env


def render(src, ctx, name):
    env = environment()
    context = {
        "grains": ctx.get("grains", {}),
        "pillar": ctx.get("pillar", {}),
        "opts": ctx.get("opts", {}),
        "saltenv": ctx.get("saltenv") or "base",
        "env": ctx.get("saltenv") or "base",
    }
    ctx = dict(ctx, grains=context["grains"], pillar=context["pillar"], opts=context["opts"])
    context["salt"] = make_salt(ctx)
    context.update(sls_vars(ctx.get("sls", ""), name))
    context.update(ctx.get("extra", {}))
    env.globals.update(context)
    out = env.from_string(src).render(**context)
    if src.endswith("\n"):
        out += "\n"
    return out


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def gen_sls(base):
    with open(base + ".sls", encoding="utf-8") as f:
        src = f.read()
    with open(base + ".json", encoding="utf-8") as f:
        ctx = json.load(f)
    name = ctx.get("name", os.path.basename(base) + ".sls")
    try:
        out = render(src, ctx, name)
    except Exception as exc:  # the case expects an error
        write(base + ".expected", "ERROR: %s: %s\n" % (type(exc).__name__, exc))
        if os.path.exists(base + ".expected.json"):
            os.remove(base + ".expected.json")
        return "error"
    write(base + ".expected", out)
    if ctx.get("yaml", True):
        data = yaml_load(out)
        write(base + ".expected.json", json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return "ok"


def gen_idioms():
    d = os.path.join(HERE, "idioms")
    with open(os.path.join(d, "context.json"), encoding="utf-8") as f:
        ctx = json.load(f)
    n = 0
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".jinja"):
            continue
        base = os.path.join(d, fn[: -len(".jinja")])
        with open(base + ".jinja", encoding="utf-8") as f:
            src = f.read()
        try:
            out = render(src, ctx, "idioms/" + fn)
        except Exception as exc:
            out = "ERROR: %s: %s\n" % (type(exc).__name__, exc)
        write(base + ".expected", out)
        n += 1
    return n


def main():
    results = {}
    for fn in sorted(os.listdir(HERE)):
        if fn.endswith(".sls") and os.path.exists(os.path.join(HERE, fn[:-4] + ".json")):
            results[fn] = gen_sls(os.path.join(HERE, fn[:-4]))
    n = gen_idioms() if os.path.isdir(os.path.join(HERE, "idioms")) else 0
    for k, v in results.items():
        print("%-40s %s" % (k, v))
    print("%d idiom templates" % n)


if __name__ == "__main__":
    main()
