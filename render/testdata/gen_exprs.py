#!/usr/bin/env python3
"""Generate the operator-precedence corpus and its expected outputs.

Run from anywhere:  /usr/bin/python3 render/testdata/gen_exprs.py
Needs jinja2 (3.1.x).

Writes testdata/exprs.json: a list of cases {"src": template, "out":
rendered text} or {"src": template, "error": Jinja2's message}. Each case
is a small template built from operands and operators chosen by a seeded
random generator (so the file is reproducible), mostly without
parentheses, so that the result depends on precedence and associativity:
arithmetic (+ - * / // % ** and unary - +), concatenation (~), comparison
chains (== != < > <= >= in, not in), "is" tests, unary and repeated not,
filters after unary minus and after operators, and/or, and inline
if/else inside larger expressions. Each expression is rendered in
{{ }}, and some in {% if %}, {% set %}, {% for ... if %} and {% with %}.
TestExprPrecedence in render/ renders every case and compares.

The environment is Salt's as far as expressions go: StrictUndefined and
the do and loopcontrols extensions. Expressions also appear in macro
defaults, call and filter tags, include, import and from. The context
and FILES are below; the Go
test uses the same values.
"""

import json
import os
import random

import jinja2

HERE = os.path.dirname(os.path.abspath(__file__))

CONTEXT = {
    "s": "Launch",
    "w": "launch site",
    "n": 3,
    "m": -2,
    "z": 0,
    "x": 2.5,
    "l": [1, 2, 3],
    "d": {"a": 1, "b": 2},
    "t": True,
    "f": False,
    "e": "",
}

# templates for include, import and from (the Go test serves the same)
FILES = {
    "inc.jinja": "[{{ v }}]",
    "mac.jinja": "{% macro mm(a, b='launch' in s|lower) %}{{ a }}/{{ b }}{% endmacro %}",
}

ENV = jinja2.Environment(
    loader=jinja2.DictLoader(FILES),
    undefined=jinja2.StrictUndefined,
    extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
)

NUMS = ["0", "1", "2", "3", "n", "m", "z", "x", "2.5", "l|length", "d.a", "l[1]", "l.0"]
STRS = ["'a'", "'ab'", "s", "w", "e", "'launch'", "'LAUNCH'", "s|lower", "'%s'"]
BOOLS = ["t", "f", "true", "false", "none"]
COLLS = ["l", "d", "[1, 2]", "(1, 2)", "{'a': 1}", "[]"]

ARITH = ["+", "-", "*", "/", "//", "%", "**"]
CMP = ["==", "!=", "<", ">", "<=", ">="]
MEMB = ["in", "not in"]
LOGIC = ["and", "or"]
NUM_FILTERS = ["|abs", "|string", "|int", "|float", "|round"]
STR_FILTERS = ["|lower", "|upper", "|length", "|string", "|first", "|trim", "|title"]
ANY_FILTERS = ["|string", "|length", "|default(7)", "|int", "|list"]
TESTS = [" is odd", " is even", " is defined", " is not none", " is number", " is string",
         " is divisibleby 3", " is sameas true", " is not odd", " is divisibleby(2)", " is in l",
         " is eq 3", " is lt 2"]
SIGNS = ["", "", "", "-", "- -", "+"]
NOTS = ["", "", "", "not ", "not not ", "not -"]


def rnd_operand(r, pool, allow_not):
    a = r.choice(pool)
    p = ""
    # -l|length is (-l)|length, an error; keep a few of those
    if (pool is NUMS and "|" not in a) or r.random() < 0.05:
        p = r.choice(SIGNS)
    # "not" after an arithmetic or comparison operator is a syntax error
    # in Jinja2; keep a few of those
    if allow_not or r.random() < 0.03:
        p = r.choice(NOTS) + p
    post = ""
    k = r.random()
    if k < 0.25:
        post = r.choice(NUM_FILTERS if pool is NUMS else STR_FILTERS if pool is STRS else ANY_FILTERS)
    elif k < 0.4:
        post = r.choice(TESTS)
    return p + a + post


def flat(r, ops, pools, n):
    pool = r.choice(pools)
    parts = [rnd_operand(r, pool, True)]
    for _ in range(n):
        op = r.choice(ops)
        parts.append(op)
        if r.random() < 0.3:
            pool = r.choice(pools)
        parts.append(rnd_operand(r, pool, op in LOGIC))
    return " ".join(parts)


def gen(r):
    out = []
    # hand-picked cases from the issue and the Jinja2 grammar
    out += [
        "'launch' in s|lower", "'launch' not in s|lower", "'launch' in w|upper",
        "not 'launch' in s|lower", "'x' ~ 'launch' in s|lower",
        "-n|abs", "-2 ** 2", "2 ** 3 ** 2", "-n ** 2", "n + 1 is odd", "2 ** 3 is odd",
        "not n is odd", "not not n", "not not not z", "1 < 2 < 3", "3 > 2 > 1", "1 < 3 > 2",
        "1 == 1 == 1", "2 == 2 == 1", "1 in l in [l]", "n < 5 in [true]", "'a' ~ 1 + 2",
        "'a' ~ 1 * 2", "1 + 2 ~ 'a'", "7 // 2 * 3", "7 % 4 % 3", "2 * 3 % 4", "10 - 3 - 2",
        "2 ** -1", "- - n", "-(n)", "n|string ~ m", "-l|length", "l|length - 1",
        "1 if t else 2 + 3", "1 + 2 if f else 3", "'a' ~ 'b' if f else 'c'", "[1 if f else 2, 3]",
        "1 if f else 2 if t else 3", "1 if f", "(1 if f) is defined", "n if n > 2 else m",
        "not t or t", "not (t or t)", "f and f or t", "t or f and f", "f and (f or t)",
        "z or e or 'fallback'", "n and s", "n > 2 and s|lower == 'launch'",
        "s|lower|upper ~ 'x'", "'%s-%s' % (n, m)", "'%d' % n + 1", "n is divisibleby 3 and t",
        "d.a + d.b * 2", "l[0] + l[1:]|length", "l[-1] ** 2", "(1, 2) + (3,)", "[1] * 2 + [3]",
        "'b' in 'abc' == true", "1 in [1] == true", "n is odd is sameas true",
        "n is number and n is not string", "m < z < n", "x // 1", "x % 1", "-x // 2",
        "1 + -1", "1 - -1", "2 * -n", "n ** -1", "not -1", "-n is odd", "+n", "-'a'",
        "l|length is even", "s ~ n|string|length", "1, 2", "n|default(5) + 1",
        "(n if t else m)|abs", "n if t else m|abs", "not n if f else z",
        "s.lower() in w", "'a' if s.startswith('L') else 'b'", "l[0] + d['a'] * 2",
        "'%s' % n ~ 'x'", "(1, 2)|join('-') ~ 3", "'a' < 'b' < 'c'", "'b' < 'a' < 'c'",
        "s|replace('L', 'l') == 'launch' == true", "l|map('string')|join ~ n", "d.get('a', 5) + 1",
        "l|select('odd')|list + [n]", "l|sum is odd", "l|length > 2 and l[-1] is odd",
        "-3 ** m", "(-3) ** m", "(1 - 4) ** m", "-2 ** 2", "-true ** n", "-2 ** (n|int)",
        "4 // -3 ** m", "-7 // 2", "-7 % 3", "7.5 // -2", "-4.0 % 2", "4.0 % -2", "2 ** 0.5",
        "x ** 2.5", "8 ** -1.5", "n is not divisibleby 2 and m is even",
        "'x' if n is odd and not f else 'y'", "n is odd if t else m is odd",
        "not n in l", "not n not in l", "n not in l == false", "'a' in 'abc' in 'b'",
        "1 if t else 2 if f else 3 if t else 4", "(1 if t else 2) + (3 if f else 4)",
        "[n for]", "n is", "n |", "1 +", "not", "n if", "{'a': 1 if t else 2}['a']",
    ]
    for _ in range(700):
        out.append(flat(r, ARITH, [NUMS], r.randint(1, 3)))
    for _ in range(300):
        out.append(flat(r, CMP + ARITH[:2], [NUMS], r.randint(1, 3)))
    for _ in range(250):
        out.append(flat(r, MEMB + ["~", "=="], [STRS, COLLS], r.randint(1, 2)))
    for _ in range(300):
        out.append(flat(r, LOGIC + CMP[:2] + ["+"], [NUMS, BOOLS, STRS], r.randint(1, 3)))
    for _ in range(250):
        a = flat(r, ARITH + CMP + LOGIC + ["~"], [NUMS, BOOLS], r.randint(0, 1))
        b = flat(r, CMP + LOGIC, [NUMS, BOOLS], r.randint(0, 1))
        c = flat(r, ARITH + ["~"], [NUMS, STRS], r.randint(0, 1))
        forms = [
            f"{a} if {b} else {c}",
            f"{a} if {b}",
            f"{c} ~ ({a} if {b} else {c})",
            f"[{a} if {b} else {c}, {c}]",
            f"{a} if {b} else {c} if {a} else {b}",
            f"({a} if {b} else {c})|string",
        ]
        out.append(r.choice(forms))
    for _ in range(150):
        out.append(flat(r, ARITH + CMP + MEMB + LOGIC + ["~"], [NUMS, STRS, BOOLS, COLLS], r.randint(1, 4)))
    seen = set()
    uniq = []
    for e in out:
        if e not in seen:
            seen.add(e)
            uniq.append(e)
    return uniq


def templates(r, exprs):
    for e in exprs:
        yield "{{ " + e + " }}"
    # other places where an expression appears
    for e in r.sample(exprs, 200):
        yield "{% if " + e + " %}T{% else %}F{% endif %}"
    for e in r.sample(exprs, 150):
        yield "{% set v = " + e + " %}{{ v }}"
    for e in r.sample(exprs, 80):
        yield "{% for i in l if " + e + " %}{{ i }}{% endfor %}"
    for e in r.sample(exprs, 60):
        yield "{% with v = " + e + " %}{{ v }}{% endwith %}"
    for e in r.sample(exprs, 40):
        yield "{% if f %}x{% elif " + e + " %}T{% endif %}"
    for e in r.sample(exprs, 60):
        yield "{% macro mac(a=" + e + ") %}{{ a }}{% endmacro %}{{ mac() }}"
    for e in r.sample(exprs, 40):
        yield "{% macro box(a) %}[{{ a }}|{{ caller() }}]{% endmacro %}{% call box(" + e + ") %}x{% endcall %}"
    for e in r.sample(exprs, 30):
        yield "{% filter replace('a', (" + e + ")|string) %}banana{% endfilter %}"
    yield "{% macro box(a, b=2) %}[{{ a }}{{ b }}{{ caller() }}]{% endmacro %}{% call box('launch' in s|lower,) %}c{% endcall %}"
    yield "{% macro box(a, b=2) %}[{{ a }}{{ b }}{{ caller() }}]{% endmacro %}{% call box(n ** 2 ** 2, b=-n|abs) %}c{% endcall %}"
    yield "{% set v | replace('a', (1 / 0)|string) %}banana{% endset %}{{ v }}"
    yield "{% filter upper|replace('LAUNCH', 'x' ~ (1 if 'launch' in s|lower else 2)) %}launch{% endfilter %}"
    yield "{% set v = 1 %}{% include 'inc' ~ '.jinja' if t else 'no' %}"
    yield "{% set v = 2 %}{% include 'no' if 'launch' not in s|lower else 'inc.jinja' %}"
    yield "{% set v = 3 %}{% include ['x.jinja', 'inc.jinja'] ignore missing with context %}"
    yield "{% from 'mac' ~ '.jinja' import mm with context %}{{ mm(1) }}"
    yield "{% import 'mac.jinja' if t else 'x' as lib %}{{ lib.mm(2, b=3 if f else 4) }}"
    yield "{% macro m2(a, b=[1, 2,], c={'k': 1,}) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m2(0,) }}"
    yield "{% set ns = namespace(v=1) %}{% do ns.update({'v': ns.v + 2 * 3}) %}{{ ns.v }}"
    yield "{% for i in l|reverse if not i is odd %}{{ i }}{% endfor %}"
    yield "{% for i in [1, 2, 3][1:] %}{{ i * 2 ** 2 }}{% endfor %}"
    yield "{% for i in l\nif i > 1 %}{{ i }}{% endfor %}"
    yield "{{ 1 +\n2 }}"


def main():
    r = random.Random(7)
    cases = []
    for src in templates(r, gen(r)):
        try:
            out = ENV.from_string(src).render(**CONTEXT)
            cases.append({"src": src, "out": out})
        except Exception as exc:  # noqa: BLE001 - any Jinja2 failure is an expected error
            cases.append({"src": src, "error": f"{type(exc).__name__}: {exc}"})
    with open(os.path.join(HERE, "exprs.json"), "w") as f:
        json.dump({"context": CONTEXT, "files": FILES, "cases": cases}, f, indent=0, ensure_ascii=False)
        f.write("\n")
    errs = sum(1 for c in cases if "error" in c)
    print(f"{len(cases)} cases, {errs} errors")


if __name__ == "__main__":
    main()
