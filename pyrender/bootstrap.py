# Brine's #!py runner: renders files whose run() returns the data, in a
# long-lived interpreter. Requests arrive on fd 3 and answers leave on
# fd 4, one JSON document a line; the user's code keeps stdout and stderr
# (the master logs them).
import json
import linecache
import os
import re
import sys
import traceback
import types

_req = os.fdopen(3, "r", encoding="utf-8")
_resp = os.fdopen(4, "w", encoding="utf-8")
_HERE = "<brine-py>"


def _default(o):
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if isinstance(o, (bytes, bytearray)):
        return bytes(o).decode("utf-8", "replace")
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def _send(msg):
    _resp.write(json.dumps(msg, default=_default) + "\n")
    _resp.flush()


def _recv():
    line = _req.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


# Brine's small salt package (salt.config, salt.exceptions,
# salt.utils.smtp) comes first on the path.
_lib = os.environ.pop("BRINE_PYRENDER_LIB", "")
if _lib:
    sys.path.insert(0, _lib)
try:
    from salt.exceptions import CommandExecutionError
except ImportError:  # pragma: no cover

    class CommandExecutionError(Exception):
        """An execution function failed (Salt's salt.exceptions name)."""


class _Salt(object):
    """__salt__: salt['mod.fun'](...) runs the function in Brine."""

    def __getitem__(self, name):
        if not isinstance(name, str) or "." not in name:
            raise KeyError(name)

        def call(*args, **kwargs):
            _send({"op": "call", "fun": name, "args": list(args), "kwargs": kwargs})
            msg = _recv()
            if msg.get("op") == "ret":
                return msg.get("ret")
            raise CommandExecutionError(msg.get("error", "call failed"))

        call.__name__ = name
        return call

    def __contains__(self, name):
        _send({"op": "has", "fun": name})
        return bool(_recv().get("ret"))

    def get(self, name, default=None):
        return self[name] if name in self else default

    def __repr__(self):
        return "<salt functions>"


_salt = _Salt()


def _user_frames(tb, name):
    frames = [f for f in traceback.extract_tb(tb) if f.filename == name]
    return frames


def _render(msg):
    name = msg["name"]
    source = msg["source"]
    # tracebacks show the file's lines
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    code = compile(source, name, "exec")
    mod = types.ModuleType(os.path.basename(name).split(".")[0])
    mod.__file__ = name
    exec(code, mod.__dict__)
    g = msg.get("globals") or {}
    for k, v in g.items():
        setattr(mod, k, v)
    for k in ("salt", "__salt__"):
        setattr(mod, k, _salt)
    for b in ("grains", "pillar", "opts"):
        if b in g:
            setattr(mod, "__%s__" % b, g[b])
    if "saltenv" in g:
        mod.__env__ = g["saltenv"]
    if "sls" in g:
        mod.__sls__ = g["sls"]
    run = getattr(mod, "run", None)
    if not callable(run):
        raise _NoRun("%s has no run() function" % name)
    return run()


class _NoRun(Exception):
    pass


_SLS_IMPORT = re.compile(r"""^\s*(import|from)\s+['"]?salt://""")


def _render_pyobjects(msg):
    """Salt's pyobjects renderer: the file runs top to bottom with the state
    factories (File, Pkg, ...), include, extend, Map, salt, pillar, grains,
    mine and config; the states it made are the rendered data."""
    from salt.utils import pyobjects

    name = msg["name"]
    source = msg["source"]
    for i, line in enumerate(source.splitlines(), 1):
        if _SLS_IMPORT.match(line):
            raise SyntaxError(
                "importing SLS files (import/from salt://...) is not supported by Brine's pyobjects renderer",
                (name, i, 1, line),
            )
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    code = compile(source, name, "exec")
    g = msg.get("globals") or {}
    globs = pyobjects.render_globals(
        _salt, g.get("grains") or {}, g.get("pillar") or {}, g.get("opts") or {},
        g.get("sls", ""), g.get("saltenv", "base"), g.get("states") or [],
    )
    globs["__name__"] = os.path.basename(name).split(".")[0]
    globs["__file__"] = name
    try:
        exec(code, globs)
        return pyobjects.Registry.salt_data()
    finally:
        pyobjects.Registry.empty()


def main():
    while True:
        msg = _recv()
        if msg.get("op") not in ("render", "check", "pyobjects"):
            _send({"op": "fail", "error": "unknown request %r" % msg.get("op")})
            continue
        try:
            if msg["op"] == "check":
                compile(msg["source"], msg["name"], "exec")
                ret = {}
            elif msg["op"] == "pyobjects":
                ret = _render_pyobjects(msg)
            else:
                ret = _render(msg)
            _send({"op": "done", "ret": ret})
        except BaseException as e:  # SystemExit from user code included
            frames = _user_frames(e.__traceback__, msg.get("name"))
            line = frames[-1].lineno if frames else 0
            if isinstance(e, SyntaxError) and e.filename == msg.get("name"):
                line = e.lineno or 0
            text = "".join(traceback.format_exception_only(type(e), e)).strip()
            tb = "".join(traceback.format_list(frames)).rstrip()
            _send({"op": "fail", "line": line, "error": text, "traceback": tb})


main()
