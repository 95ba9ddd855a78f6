package render

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// scanSource must find the same tag tokens, at the same positions and
// lines, as gonja's lexer over the whole source, and runs of text that
// with the tags cover the source exactly.
func TestScanSourceMatchesLexer(t *testing.T) {
	srcs := []string{
		"", "plain", "a {{ x }} b", "{{ '%}' ~ \"}}\" }}{% if x -%}\n  y\n{%- endif %}",
		"l1\n{# a\ncomment {{ x }} #}\nl3 {% raw %}{{ not lexed }}\n{% endraw %}\n{{ y }}",
		"{% comment %} {{ } {% endcomment %}tail", strings.Repeat("x", 3000) + "{{ [" + strings.Repeat("1, ", 2000) + "] }}\n",
		"{{ a\n+\nb }}\n\n{% set x = {'k': [1, 2,],} %}", "{ not a tag } {x}",
	}
	files, _ := filepath.Glob("testdata/idioms/*.jinja")
	more, _ := filepath.Glob("testdata/*.sls")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, string(b))
	}
	cfg := config.New()
	scanned := 0
	for _, src := range srcs {
		src = strings.TrimSuffix(normalizeSource(src), "\n")
		toks, runs, ok := scanSource(src, cfg, 1<<30)
		if !ok {
			continue
		}
		scanned++
		// in small pieces, cut before every tag (inside strings, comments
		// and raw blocks too): the same tokens, and runs covering the
		// same text
		small, smallRuns, ok := scanSource(src, cfg, 1)
		if !ok || len(small) != len(toks) {
			t.Errorf("%.40q: in pieces, ok %v, %d tokens, want %d", src, ok, len(small), len(toks))
		} else {
			for i := range toks {
				if *small[i] != *toks[i] {
					t.Errorf("%.40q: in pieces, token %d %+v, want %+v", src, i, *small[i], *toks[i])
					break
				}
			}
			if runText(src, smallRuns) != runText(src, runs) {
				t.Errorf("%.40q: in pieces, runs differ", src)
			}
		}
		var want []*tokens.Token
		inComment := false
		for _, tk := range lexTokens(src, cfg) {
			switch tk.Type {
			case tokens.CommentBegin:
				inComment = true
			case tokens.CommentEnd:
				inComment = false
			case tokens.Data:
				if !inComment {
					continue
				}
			}
			want = append(want, tk)
		}
		if len(toks) != len(want) {
			t.Errorf("%.40q: %d tokens, lexer %d", src, len(toks), len(want))
			continue
		}
		for i := range toks {
			g, w := toks[i], want[i]
			if g.Type != w.Type || g.Val != w.Val || g.Pos != w.Pos || g.Line != w.Line {
				t.Errorf("%.40q token %d: %v %q at %d line %d, lexer %v %q at %d line %d",
					src, i, g.Type, g.Val, g.Pos, g.Line, w.Type, w.Val, w.Pos, w.Line)
				break
			}
		}
		covered := 0
		for _, r := range runs {
			covered += r.to - r.from
		}
		// tag spans: from each opening token to the end of its end token
		for i := 0; i < len(toks); i++ {
			if toks[i].Type == tokens.VariableBegin || toks[i].Type == tokens.BlockBegin || toks[i].Type == tokens.CommentBegin {
				j := i
				for toks[j].Type != tokens.VariableEnd && toks[j].Type != tokens.BlockEnd && toks[j].Type != tokens.CommentEnd {
					j++
				}
				covered += toks[j].Pos + len(toks[j].Val) - toks[i].Pos
				i = j
			}
		}
		if covered != len(src) {
			t.Errorf("%.40q: runs and tags cover %d of %d bytes", src, covered, len(src))
		}
	}
	if scanned < len(srcs)-2 {
		t.Errorf("only %d of %d sources scanned", scanned, len(srcs))
	}
}

func runText(src string, runs []textRun) string {
	var b strings.Builder
	for _, r := range runs {
		b.WriteString(src[r.from:r.to])
	}
	return b.String()
}

// Long text runs are handed to gonja as markers and printed back whole:
// the output is unchanged, whitespace control included.
func TestElidedTextRenders(t *testing.T) {
	long := strings.Repeat("text line\n", 20)
	src := "a\n" + long + "{{ 1 }}" + long + "{%- if true -%}\n  " + long + "  \n{%- endif %}\n" +
		"{% raw %}" + long + "{{ raw }}{% endraw %}" + long + "{% set x %}" + long + "{% endset %}{{ x|length }}\n{{ undefined_here }}\n" + long
	st := newState(context.Background(), &Context{}, "t.sls")
	if _, err := st.patchSource(src); err != nil {
		t.Fatal(err)
	}
	if len(st.texts) < 5 {
		t.Fatalf("%d runs elided, want the long ones", len(st.texts))
	}
	_, err := Jinja(context.Background(), []byte(src), "t.sls", &Context{})
	if err == nil || !strings.Contains(err.Error(), "t.sls:126:") {
		t.Fatalf("error %v, want the line of undefined_here", err)
	}
	src = strings.Replace(src, "{{ undefined_here }}", "", 1)
	// whatever the source ends with (gonja's lexer drops one final newline)
	for _, end := range []string{"", "\n", "\n\n", "\n\n\n", "{{ 2 }}\n\n", "x\r\n\r\n"} {
		src := src + long + end
		st = newState(context.Background(), &Context{}, "t.sls")
		got, lines, err := st.render([]byte(src), "t.sls")
		if err != nil {
			t.Fatal(err)
		}
		whole := newState(context.Background(), &Context{}, "t.sls")
		whole.minElided = len(src) + 1
		want, wantLines, err := whole.render([]byte(src), "t.sls")
		if err != nil {
			t.Fatal(err)
		}
		if len(st.texts) < 5 || len(whole.texts) != 0 {
			t.Fatalf("%d and %d runs elided", len(st.texts), len(whole.texts))
		}
		if string(got) != string(want) || !reflect.DeepEqual(lines, wantLines) {
			t.Fatalf("ending %q: got\n%q\nwant\n%q", end, got, want)
		}
	}
}
