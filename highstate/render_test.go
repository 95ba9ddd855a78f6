package highstate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/brine-cm/brine/render"
)

// renderSource is a Source over SLS text rendered by render.SLS, as the
// minion's is (there over the file client): sls "a.b" is a/b.sls, else
// a/b/init.sls.
type renderSource struct {
	files  map[string]string
	pillar map[string]any
}

func (s renderSource) Load(ctx context.Context, sls, saltenv string) (*render.Map, string, error) {
	base := strings.ReplaceAll(sls, ".", "/")
	for _, name := range []string{base + ".sls", base + "/init.sls"} {
		text, ok := s.files[name]
		if !ok {
			continue
		}
		m, err := render.SLS(ctx, []byte(text), name, &render.Context{SLS: sls, Saltenv: saltenv, Pillar: s.pillar})
		return m, name, err
	}
	return nil, "", fmt.Errorf("%s: %w", sls, fs.ErrNotExist)
}

func TestRenderedSLS(t *testing.T) {
	src := renderSource{
		pillar: map[string]any{"hosts": []any{"db1", "db2"}},
		files: map[string]string{
			"web/init.sls": `
include:
  - .hosts
{% for h in pillar['hosts'] %}
{{ h }}-ready:
  test.nop:
    - require:
      - test: {{ h }}-host-entry
{% endfor %}
`,
			"web/hosts.sls": `
{% for h in pillar['hosts'] %}
{{ h }}-host-entry:
  test.succeed_with_changes:
    - names:
      - {{ h }}
      - {{ h }}.internal
    - order: {{ loop.index }}
{% endfor %}
`,
			"broken.sls": "a:\n  test.nop:\n    - require: [\n",
		},
	}
	p, err := Compile(context.Background(), Options{Source: src}, []string{"web"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range p.Chunks {
		got = append(got, c.ID+"/"+c.Name)
	}
	want := []string{"db1-host-entry/db1", "db1-host-entry/db1.internal", "db2-host-entry/db2", "db2-host-entry/db2.internal",
		"db1-ready/db1-ready", "db2-ready/db2-ready"}
	if !equal(got, want) {
		t.Fatalf("chunks\n got %v\nwant %v", got, want)
	}
	if p.Chunks[0].File != "web/hosts.sls" || p.Chunks[4].File != "web/init.sls" {
		t.Errorf("files %q %q", p.Chunks[0].File, p.Chunks[4].File)
	}
	res := p.Run(context.Background(), Options{})
	if len(res) != 6 {
		t.Fatalf("results %v", keys(res))
	}
	for _, r := range res {
		if !isTrue(r.Result) {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}

	_, err = Compile(context.Background(), Options{Source: src}, []string{"broken"})
	var ce *CompileError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "Rendering SLS 'base:broken' failed: broken.sls") {
		t.Fatalf("render error: %v", err)
	}
}
