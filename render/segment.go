package render

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Big templates render in top-level segments. gonja's tokens and AST of
// a whole 50 MB template, its parsed expressions and the closures the
// rewriter makes of them take gigabytes for the whole render; a segment's
// are garbage once it is rendered. A template is cut only in text at
// block depth 0, between two non-blank characters around a newline, so
// no whitespace control of a neighbouring tag reaches across a cut and
// every segment but the last ends without a newline (gonja's lexer drops
// a final newline). Each segment after the first is prefixed with a
// comment holding as many newlines as the source has before it, so its
// tokens, errors and line map carry the template's own line numbers.
// The segments render one after the other into one writer, in one
// context layer (the top-level template's): a set, import or macro of
// one segment is seen by the next ones, and macros keep the renderer and
// the closures of the segment defining them.
//
// Anything segments could render differently falls back to the whole
// template: every segment is parsed (and dropped) before any renders, so
// a syntax error anywhere is reported by the whole template's path,
// before anything runs, exactly as without segments; {% extends %} and
// {% block %} are never segmented.

const (
	// segmentMin is the size above which a template renders in
	// segments.
	segmentMin = 4 << 20
	// segmentSize is about the size of a segment.
	segmentSize = 4 << 20
)

// segmentCuts returns the offsets in src (normalized, with its final
// newline) at which to cut it into segments of about size bytes: each is
// the offset of a newline inside text at block depth 0, with a
// character other than a space, tab or newline on both sides of it. nil
// means src is not to be segmented.
func segmentCuts(src string, st *state, size int) []int {
	s := strings.TrimSuffix(src, "\n") // as gonja's lexer cuts it
	var cuts []int
	depth, last := 0, 0
	failed := false
	ok := lexPieces(s, st.cfg, scanPiece, func(pos, end int, piece []*tokens.Token) {
		if failed {
			return
		}
		inComment := false
		for i := 0; i < len(piece); i++ {
			t := piece[i]
			switch t.Type {
			case tokens.CommentBegin:
				inComment = true
			case tokens.CommentEnd:
				inComment = false
			case tokens.BlockBegin:
				if i+1 >= len(piece) || !isName(piece[i+1]) {
					continue
				}
				name := piece[i+1].Val
				switch {
				case name == "extends" || name == "block" || name == "endblock":
					failed = true
					return
				case strings.HasPrefix(name, "end"):
					depth--
					if depth < 0 {
						failed = true
						return
					}
				case name == "set":
					if blockSet(piece[i+2:]) {
						depth++
					}
				case hasKey(blockTags, name):
					depth++
				}
			case tokens.Data:
				if inComment || depth != 0 {
					continue
				}
				from := pos + t.Pos
				to := from + len(t.Val)
				if to > len(s) || s[from:to] != t.Val || to-last < size {
					continue
				}
				for p := cutIn(s, max(from, last+size), to); p > 0; p = cutIn(s, max(from, last+size), to) {
					cuts = append(cuts, p)
					last = p
				}
			}
		}
	})
	if !ok || failed || depth != 0 {
		return nil
	}
	return cuts
}

// blockSet reports whether the set tag whose arguments start toks[0] is
// a block set: no "=" at bracket depth 0 before the end of the tag.
func blockSet(toks []*tokens.Token) bool {
	depth := 0
	for _, t := range toks {
		switch t.Type {
		case tokens.BlockEnd:
			return true
		case tokens.LeftBrace, tokens.LeftBracket, tokens.LeftParenthesis:
			depth++
		case tokens.RightBrace, tokens.RightBracket, tokens.RightParenthesis:
			depth--
		case tokens.Assign:
			if depth == 0 {
				return false
			}
		}
	}
	return true
}

// cutIn returns the offset of the first newline in s[from:to] (text)
// with a character other than space, tab, CR or newline before and after
// it, both inside s[from:to]; 0 when there is none.
func cutIn(s string, from, to int) int {
	blank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for p := from + 1; p+1 < to; {
		i := strings.IndexByte(s[p:to-1], '\n')
		if i < 0 {
			return 0
		}
		p += i
		if !blank(s[p-1]) && !blank(s[p+1]) {
			return p
		}
		p++
	}
	return 0
}

// segment returns the source gonja renders for src[from:to]: after the
// first, a comment of newlines puts its first character on its line.
func segment(src string, from, to, line int) string {
	if from == 0 {
		return src[:to]
	}
	var b strings.Builder
	b.Grow(4 + line - 1 + to - from)
	b.WriteString("{#")
	for i := 1; i < line; i++ {
		b.WriteByte('\n')
	}
	b.WriteString("#}")
	b.WriteString(src[from:to])
	return b.String()
}

// segmentLoader hands gonja the patched source of a segment under the
// template's name.
type segmentLoader struct {
	*gonjaLoader
	name, src string
}

func (l *segmentLoader) Read(p string) (io.Reader, error) {
	if p == l.name {
		return strings.NewReader(l.src), nil
	}
	return l.gonjaLoader.Read(p)
}

// parseSegment parses the segment source src of the top-level template
// name. With rewrite set, it rewrites it as compile does and returns the
// names of the closures to drop from the root context once it has
// rendered (those of its macros, call blocks and recursive loops stay:
// they run later).
func (st *state) parseSegment(name, src string, rewrite bool) (*tmpl, []string, error) {
	nexprs, ntexts := st.nexprs, len(st.texts)
	patched, err := st.patchSource(src)
	mexprs, mtexts := st.nexprs, len(st.texts)
	defer func() {
		// the segment's placeholders and text runs are resolved by its
		// rewrite; nothing else refers to them
		for i := nexprs; i < mexprs; i++ {
			delete(st.exprs, exprName(i))
		}
		clear(st.texts[ntexts:mtexts])
	}()
	if err != nil {
		return nil, nil, err
	}
	gl := &segmentLoader{gonjaLoader: &gonjaLoader{st: st, dir: path.Dir(name)}, name: name, src: patched}
	et, err := exec.NewTemplate(name, st.cfg, gl, st.env)
	if err != nil {
		return nil, nil, err
	}
	if !rewrite {
		return nil, nil, nil
	}
	t := &tmpl{name: name, t: et}
	var drop []string
	rw := &rewriter{st: st, t: t, seen: map[any]bool{}, drop: &drop}
	rw.template(et.Root(), name)
	return t, drop, nil
}

// renderSegments renders the top-level template name, text, a segment
// at a time into w, as execute would render it whole. done is false
// when text is not rendered in segments (small, not segmentable, or a
// segment does not parse): nothing ran and the caller renders it whole.
func (st *state) renderSegments(text []byte, name string, w io.Writer) (done bool, err error) {
	if st.segmentMin < 0 || len(text) <= st.segmentMin {
		return false, nil
	}
	src := normalizeSource(string(text))
	cuts := segmentCuts(src, st, st.segmentSize)
	if len(cuts) == 0 {
		return false, nil
	}
	bounds := append(append([]int{0}, cuts...), len(src))
	lines := make([]int, len(bounds)) // the line of each segment's first byte
	lines[0] = 1
	for i := 1; i < len(bounds)-1; i++ {
		lines[i] = lines[i-1] + strings.Count(src[bounds[i-1]:bounds[i]], "\n")
	}
	seg := func(i int) string { return segment(src, bounds[i], bounds[i+1], lines[i]) }
	// every segment parses, or the whole template reports the error
	// (a comment before a segment changes its lines, not whether it
	// parses)
	for i := 0; i+1 < len(bounds); i++ {
		if _, _, err := st.parseSegment(name, src[bounds[i]:bounds[i+1]], false); err != nil {
			return false, nil
		}
	}
	if st.depth >= maxDepth {
		return true, fmt.Errorf("maximum template nesting depth (%d) exceeded", maxDepth)
	}
	st.depth++
	defer func() { st.depth-- }()
	// the layer execute would make for the whole template
	layer := st.root.Inherit()
	layer.Set(exportsKey, map[string]any(nil))
	layer.Set(templateKey, name)
	for i := 0; i+1 < len(bounds); i++ {
		t, drop, err := st.parseSegment(name, seg(i), true)
		if err != nil {
			// parsed above; a template cannot change in between
			return true, err
		}
		env := &exec.Environment{
			Context:           layer,
			Filters:           st.env.Filters,
			Tests:             st.env.Tests,
			ControlStructures: st.env.ControlStructures,
			Methods:           st.env.Methods,
		}
		gl := &gonjaLoader{st: st, dir: path.Dir(name)}
		err = exec.NewRenderer(env, w, st.cfg, gl, t.t).Execute()
		for _, k := range drop {
			delete(st.fnVars, k)
		}
		st.segments++
		if err != nil {
			return true, err
		}
	}
	return true, nil
}
