"""salt.utils.pyobjects for Brine's #!pyobjects renderer: the objects an
SLS file builds its states with (File.managed(...), Pkg.installed(...),
include(), extend(), requisite contexts, Map), with Salt's semantics: the
file runs top to bottom, every state made is registered, and the registry
becomes the rendered data."""
import fnmatch
from collections import OrderedDict

REQUISITES = (
    "listen", "onchanges", "onfail", "require", "watch", "use", "prereq",
    "listen_in", "onchanges_in", "onfail_in", "require_in", "watch_in", "use_in", "prereq_in",
)


class StateException(Exception):
    pass


class DuplicateState(StateException):
    pass


class InvalidFunction(StateException):
    pass


class Registry(object):
    """The states, includes and extends a render made, and the requisite
    contexts open at the moment."""

    states = OrderedDict()
    requisites = []
    includes = []
    extends = OrderedDict()
    enabled = True

    @classmethod
    def empty(cls):
        cls.states = OrderedDict()
        cls.requisites = []
        cls.includes = []
        cls.extends = OrderedDict()

    @classmethod
    def include(cls, *names):
        if cls.enabled:
            cls.includes.extend(names)

    @classmethod
    def salt_data(cls):
        data = OrderedDict(cls.states)
        if cls.includes:
            data["include"] = list(cls.includes)
        if cls.extends:
            data["extend"] = OrderedDict(cls.extends)
        cls.empty()
        return data

    @classmethod
    def add(cls, id_, state, extend=False):
        if not cls.enabled:
            return
        table = cls.extends if extend else cls.states
        entry = table.get(id_)
        if entry is None:
            entry = table[id_] = OrderedDict()
        elif state.full_func in entry:
            raise DuplicateState("A state with id '%r', type '%r' exists" % (id_, state.full_func))
        for req in cls.requisites:
            state.kwargs.setdefault(req.requisite, []).append(req())
        entry.update(state())

    @classmethod
    def extend(cls, id_, state):
        cls.add(id_, state, extend=True)

    @classmethod
    def make_extend(cls, name):
        return StateExtend(name)

    @classmethod
    def push_requisite(cls, requisite):
        if cls.enabled:
            cls.requisites.append(requisite)

    @classmethod
    def pop_requisite(cls):
        if cls.enabled:
            cls.requisites.pop()


class StateExtend(object):
    """extend('id'): the id of a state to extend (include()d elsewhere)."""

    def __init__(self, name):
        self.name = name


class StateRequisite(object):
    """Pkg('nginx'): a requisite on the state pkg 'nginx'; as a context
    manager, every state made inside requires it."""

    def __init__(self, requisite, module, id_):
        self.requisite = requisite
        self.module = module
        self.id_ = id_

    def __call__(self):
        return {self.module: self.id_}

    def __enter__(self):
        Registry.push_requisite(self)

    def __exit__(self, *exc):
        Registry.pop_requisite()


class StateFactory(object):
    """File = StateFactory('file', [...]): File.managed(id, **kwargs) makes a
    state; File(id) is a requisite on one."""

    def __init__(self, module, valid_funcs=None):
        self.module = module
        self.valid_funcs = list(valid_funcs or [])

    def __getattr__(self, func):
        if func.startswith("__"):
            raise AttributeError(func)
        if self.valid_funcs and func not in self.valid_funcs:
            raise InvalidFunction(
                "The function '%s' does not exist in the StateFactory for '%s' (it has %s)"
                % (func, self.module, ", ".join(self.valid_funcs))
            )
        module = self.module

        def make_state(id_, **kwargs):
            return State(id_, module, func, **kwargs)

        make_state.__name__ = func
        return make_state

    def __call__(self, id_, requisite="require"):
        return StateRequisite(requisite, self.module, id_)


class State(object):
    """One state: its id, module.function and arguments."""

    def __init__(self, id_, module, func, **kwargs):
        self.id_ = id_
        self.module = module
        self.func = func
        for req in REQUISITES:
            if req in kwargs and not isinstance(kwargs[req], (list, tuple)):
                kwargs[req] = [kwargs[req]]
            elif req in kwargs:
                kwargs[req] = list(kwargs[req])
        self.kwargs = kwargs
        if isinstance(id_, StateExtend):
            self.id_ = id_.name
            Registry.extend(self.id_, self)
        else:
            Registry.add(self.id_, self)
        self.requisite = StateRequisite("require", self.module, self.id_)

    @property
    def attrs(self):
        kwargs = self.kwargs
        for req in REQUISITES:
            if req in kwargs:
                kwargs[req] = [_requisite(r) for r in kwargs[req]]
        return [{k: kwargs[k]} for k in sorted(kwargs)]

    @property
    def full_func(self):
        return "%s.%s" % (self.module, self.func)

    def __str__(self):
        return "%s = %s:%s" % (self.id_, self.full_func, self.attrs)

    def __call__(self):
        return {self.full_func: self.attrs}

    def __enter__(self):
        Registry.push_requisite(self.requisite)

    def __exit__(self, *exc):
        Registry.pop_requisite()


def _requisite(r):
    if isinstance(r, StateRequisite):
        return r()
    if isinstance(r, State):
        return r.requisite()
    return r


class SaltObject(object):
    """salt.cmd.run(...): salt['cmd.run'](...)."""

    def __init__(self, salt):
        self._salt = salt

    def __getattr__(self, mod):
        salt = self._salt

        class _Module(object):
            def __getattr__(self, func):
                name = "%s.%s" % (mod, func)
                if name not in salt:
                    raise AttributeError(name)
                return salt[name]

        return _Module()


def traverse(data, key, default=None, delimiter=":"):
    """data['a']['b'] for 'a:b', or default."""
    cur = data
    for part in key.split(delimiter):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                return default
        else:
            return default
    return cur


def filter_by(lookup, grains, grain="os_family", default="default"):
    """grains.filter_by over the file's grains: the entry whose key matches
    (a glob) the grain's value, else the default entry."""
    value = traverse(grains, grain)
    values = value if isinstance(value, list) else [value]
    for v in values:
        if v is None:
            continue
        for key in lookup:
            if fnmatch.fnmatchcase(str(v), str(key)):
                return lookup[key]
    return lookup.get(default)


class MapMeta(type):
    """Map subclasses hold a class per grain value (os_family unless
    __grain__ says); the class body of the one matching becomes the Map's
    attributes, then the pillar key named by merge."""

    def __init__(cls, name, bases, ns):
        super(MapMeta, cls).__init__(name, bases, ns)
        if not bases or bases == (object,):
            return
        groups = OrderedDict()
        for item, filt in ns.items():
            if item.startswith("_") or not isinstance(filt, type):
                continue
            grain = getattr(filt, "__grain__", "os_family")
            match = getattr(filt, "__match__", item)
            attrs = OrderedDict((k, v) for k, v in filt.__dict__.items() if not k.startswith("_"))
            groups.setdefault(grain, OrderedDict())[match] = attrs
        merged = {}
        for grain, lookup in groups.items():
            found = filter_by(lookup, Map.__grains__, grain=grain)
            if found:
                merged.update(found)
        if hasattr(cls, "merge"):
            found = traverse(Map.__pillar__, cls.merge)
            if found:
                merged.update(found)
        for k, v in merged.items():
            setattr(cls, k, v)


Map = MapMeta("Map", (object,), {"__grains__": {}, "__pillar__": {}})


def render_globals(salt, grains, pillar, opts, sls, saltenv, state_names):
    """The globals a #!pyobjects file runs with, as Salt's pyobjects
    renderer gives them."""
    Registry.empty()
    Registry.enabled = True
    funcs = OrderedDict()
    for name in state_names:
        mod, _, func = name.partition(".")
        funcs.setdefault(mod, []).append(func)
    g = {}
    for mod, fs in funcs.items():
        g["".join(p.capitalize() for p in mod.split("_"))] = StateFactory(mod, fs)
    g["StateFactory"] = StateFactory
    g["include"] = Registry.include
    g["extend"] = Registry.make_extend
    Map.__grains__ = grains
    Map.__pillar__ = pillar
    g["Map"] = Map

    def pillar_get(key, default="", delimiter=":"):
        return traverse(pillar, key, default, delimiter)

    def grains_get(key, default="", delimiter=":"):
        return traverse(grains, key, default, delimiter)

    def config_get(key, default="", delimiter=":"):
        for src in (opts, grains, pillar):
            v = traverse(src, key, None, delimiter)
            if v is not None:
                return v
        return default

    g.update({
        "salt": SaltObject(salt),
        "pillar": pillar_get,
        "grains": grains_get,
        "mine": salt["mine.get"],
        "config": config_get,
        "__salt__": salt,
        "__pillar__": pillar,
        "__grains__": grains,
        "__opts__": opts,
        "__sls__": sls,
        "__env__": saltenv,
    })
    return g
