package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/brine-cm/brine/internal/glob"
	"github.com/brine-cm/brine/target"
)

// passwordHash is a parsed bcrypt or argon2id hash.
type passwordHash struct {
	bcrypt []byte
	// argon2id
	salt, key []byte
	mem, time uint32
	threads   uint8
}

// Bounds on argon2id parameters, so that a login cannot be made to cost
// more than the operator meant.
const (
	argon2MaxMemory = 1 << 20 // KiB: 1 GiB
	argon2MaxTime   = 64
)

func parsePasswordHash(s string) (*passwordHash, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil || len(s) != 60 {
			return nil, errors.New("malformed bcrypt hash")
		}
		return &passwordHash{bcrypt: []byte(s)}, nil
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	case strings.HasPrefix(s, "$argon2i$"), strings.HasPrefix(s, "$argon2d$"):
		return nil, errors.New("only the argon2id variant is supported")
	}
	return nil, errors.New(`not a bcrypt ("$2a$...") or argon2id ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") hash; plaintext passwords are refused`)
}

func parseArgon2id(s string) (*passwordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, errors.New("malformed argon2id hash: want $argon2id$v=19$m=...,t=...,p=...$salt$hash")
	}
	if parts[2] != "v=19" {
		return nil, fmt.Errorf("argon2id version %q unsupported (want v=19)", parts[2])
	}
	h := &passwordHash{}
	seen := 0
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("malformed argon2id parameter %q", kv)
		}
		switch k {
		case "m":
			h.mem = uint32(n)
			seen |= 1
		case "t":
			h.time = uint32(n)
			seen |= 2
		case "p":
			if n > 255 {
				return nil, fmt.Errorf("argon2id parallelism %d out of range", n)
			}
			h.threads = uint8(n)
			seen |= 4
		default:
			return nil, fmt.Errorf("unknown argon2id parameter %q", k)
		}
	}
	if seen != 7 {
		return nil, errors.New("argon2id hash needs m, t and p")
	}
	if h.threads == 0 || h.time == 0 || h.time > argon2MaxTime || h.mem < 8*uint32(h.threads) || h.mem > argon2MaxMemory {
		return nil, fmt.Errorf("argon2id parameters out of range (1<=p, 1<=t<=%d, 8*p<=m<=%d KiB)", argon2MaxTime, argon2MaxMemory)
	}
	var err error
	if h.salt, err = decodeB64(parts[4]); err != nil || len(h.salt) < 8 {
		return nil, errors.New("argon2id salt must be at least 8 bytes of base64")
	}
	if h.key, err = decodeB64(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 128 {
		return nil, errors.New("argon2id hash must be 16 to 128 bytes of base64")
	}
	return h, nil
}

func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (h *passwordHash) check(password string) bool {
	if h.bcrypt != nil {
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(password)) == nil
	}
	got := argon2.IDKey([]byte(password), h.salt, h.time, h.mem, h.threads, uint32(len(h.key)))
	return hmac.Equal(got, h.key)
}

// dummyHash is checked against when the user is unknown, so that a login
// takes as long whether or not the name exists.
var dummyHash = &passwordHash{bcrypt: []byte("$2a$10$IW8QKrvyWGRKb6I1naF9UuU7ATncquMUUMRnCH0lemQBr/K5qHQU2")}

// --- ACL ---------------------------------------------------------------

// funcKind says which client a function pattern is for.
type funcKind int

const (
	kindLocal funcKind = iota
	kindRunner
	kindWheel
	kindEvents // @events: every event on /events, whatever it concerns
)

type funcPattern struct {
	kind funcKind
	re   *glob.Glob // nil: every function of kind
}

type rule struct {
	target   string
	targetRe *glob.Glob
	funcs    []funcPattern
}

func compileRule(r ACLRule) (*rule, error) {
	if r.Target == "" {
		return nil, errors.New("target: missing")
	}
	re, err := compileGlob(r.Target)
	if err != nil {
		return nil, fmt.Errorf("target: %v", err)
	}
	cr := &rule{target: r.Target, targetRe: re}
	for i, f := range r.Functions {
		p, err := compileFuncPattern(f)
		if err != nil {
			return nil, fmt.Errorf("functions[%d]: %v", i, err)
		}
		cr.funcs = append(cr.funcs, p)
	}
	return cr, nil
}

func compileFuncPattern(f string) (funcPattern, error) {
	if f == "" {
		return funcPattern{}, errors.New("empty function pattern")
	}
	if !strings.HasPrefix(f, "@") {
		re, err := compileGlob(f)
		return funcPattern{kind: kindLocal, re: re}, err
	}
	name, glob, hasGlob := strings.Cut(f[1:], ":")
	var p funcPattern
	switch name {
	case "runner":
		p.kind = kindRunner
	case "wheel":
		p.kind = kindWheel
	case "events":
		if hasGlob {
			return p, errors.New(`"@events" takes no function glob`)
		}
		p.kind = kindEvents
		return p, nil
	case "jobs":
		if hasGlob {
			return p, errors.New(`"@jobs" takes no function glob`)
		}
		p.kind = kindRunner
		p.re, _ = compileGlob("jobs.*") // valid
		return p, nil
	default:
		return p, fmt.Errorf("unknown function pattern %q (use a glob, @runner, @wheel, @jobs, @events, @runner:GLOB or @wheel:GLOB)", f)
	}
	if hasGlob {
		if glob == "" {
			return p, fmt.Errorf("%q: empty function glob", f)
		}
		re, err := compileGlob(glob)
		if err != nil {
			return p, err
		}
		p.re = re
	}
	return p, nil
}

// acl is a user's compiled rules.
type acl []*rule

// allowsFun reports whether some rule lets the user run fun of kind,
// whatever the target.
func (a acl) allowsFun(kind funcKind, fun string) bool {
	for _, r := range a {
		if r.allowsFun(kind, fun) {
			return true
		}
	}
	return false
}

func (r *rule) allowsFun(kind funcKind, fun string) bool {
	for _, p := range r.funcs {
		if p.kind == kind && (p.re == nil || p.re.Match(fun)) {
			return true
		}
	}
	return false
}

// allowsLocal reports whether a rule lets the user run fun on the target
// (tgt, tgtType).
func (a acl) allowsLocal(tgt, tgtType, fun string) bool {
	for _, r := range a {
		if r.allowsFun(kindLocal, fun) && r.allowsTarget(tgt, tgtType) {
			return true
		}
	}
	return false
}

// allowsTarget decides whether the minions (tgt, tgtType) names are all
// among those the rule's Target names, without expanding either: it grants
// only when that follows from the strings themselves.
//
//   - Target "*" grants every target.
//   - A target expression equal to Target (in compound notation, so
//     grain roles:web is "G@roles:web") names the same minions.
//   - A glob target that is a literal id, and each id of a list target,
//     must match the Target glob.
//   - A glob target with wildcards is granted by a Target "prefix*" when
//     it starts with that prefix literally: everything it matches then
//     starts with the prefix. Matching the glob as a string against the
//     Target is not enough ("web[!x]" matches "web*" as a string, yet
//     "web*" is not inside "web?"), so nothing else is granted.
func (r *rule) allowsTarget(tgt, tgtType string) bool {
	if r.target == "*" {
		return true
	}
	if compoundForm(tgt, tgtType) == r.target {
		return true
	}
	switch tgtType {
	case "glob":
		if !plainTarget(tgt) {
			return false
		}
		if !strings.ContainsAny(tgt, globMeta) {
			return r.targetRe.Match(tgt)
		}
		prefix, ok := strings.CutSuffix(r.target, "*")
		return ok && prefix != "" && !strings.ContainsAny(prefix, globMeta) && strings.HasPrefix(tgt, prefix)
	case "list":
		ids := strings.FieldsFunc(tgt, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' })
		if len(ids) == 0 {
			return false
		}
		for _, id := range ids {
			if !plainTarget(id) || strings.ContainsAny(id, globMeta) || !r.targetRe.Match(id) {
				return false
			}
		}
		return true
	}
	return false
}

// plainTarget: only characters of minion ids and glob wildcards, nothing a
// matcher could read as another kind of expression.
var plainTargetRe = regexp.MustCompile(`^[A-Za-z0-9_.@*?\[\]!^-]+$`)

func plainTarget(s string) bool { return plainTargetRe.MatchString(s) }

// compoundForm writes a target in compound notation.
func compoundForm(tgt, tgtType string) string {
	prefix := map[string]string{"nodegroup": "N@", "range": "R@", "expr": "X@"}[tgtType]
	for _, k := range target.Registered() {
		if k.Name == tgtType && k.Letter != 0 {
			prefix = string(k.Letter) + "@"
		}
	}
	return prefix + tgt
}

// perms renders the rules as Salt shows them at login.
func (u User) perms() []any {
	out := []any{}
	for _, r := range u.ACL {
		var local []string
		var special []any
		for _, f := range r.Functions {
			if strings.HasPrefix(f, "@") {
				special = append(special, f)
			} else {
				local = append(local, f)
			}
		}
		if len(local) > 0 {
			out = append(out, map[string]any{r.Target: local})
		}
		out = append(out, special...)
	}
	return out
}

// --- sessions ------------------------------------------------------------

type session struct {
	user     string
	operator bool
	opToken  string // the operator token, checked again on every request
	acl      acl
	start    time.Time
	expire   time.Time
}

// maxSessions bounds the token store; the session closest to expiry goes
// first when it is full.
const maxSessions = 10000

type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]*session
}

func tokenKey(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }

func (ss *sessions) add(s *session, now time.Time) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b[:])
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[[32]byte]*session{}
	}
	if len(ss.m) >= maxSessions {
		var oldest [32]byte
		var oldestExp time.Time
		for k, v := range ss.m {
			if !v.expire.After(now) {
				delete(ss.m, k)
				continue
			}
			if oldestExp.IsZero() || v.expire.Before(oldestExp) {
				oldest, oldestExp = k, v.expire
			}
		}
		if len(ss.m) >= maxSessions {
			delete(ss.m, oldest)
		}
	}
	ss.m[tokenKey(tok)] = s
	return tok, nil
}

func (ss *sessions) get(tok string, now time.Time) *session {
	if tok == "" {
		return nil
	}
	k := tokenKey(tok)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[k]
	if s == nil {
		return nil
	}
	if !s.expire.After(now) {
		delete(ss.m, k)
		return nil
	}
	return s
}

func (ss *sessions) remove(tok string) {
	ss.mu.Lock()
	delete(ss.m, tokenKey(tok))
	ss.mu.Unlock()
}

// acquire takes a slot of sem (which bounds concurrent password hashing:
// argon2id may take much memory) or gives up when ctx ends.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
