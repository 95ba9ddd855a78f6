package reactor

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/brine-cm/brine/pyrender"
	"github.com/brine-cm/brine/render"
)

// Seed 003's GitHub reactor as written there (indentation restored), with
// the #!py line its file needs and the one Python 2 idiom Salt 3006 on
// Python 3 rejects too ported: hmac.new takes bytes.
const seed003Py = `#!py
import hashlib
import hmac


def run():
    '''Verify the signature for a Github webhook and deploy the
    appropriate code'''
    _, signature = data['headers'].get('X-Hub-Signature').split('=')
    body = data['body']
    target = tag.split('/')[-1]
    key = __opts__.get('github', {}).get('webhook-key')
    computed_signature = hmac.new(key.encode(), body.encode(),
                                  hashlib.sha1).hexdigest()
    # signature_match = hmac.compare_digest(computed_signature, signature)
    if computed_signature == signature:
        return {
            'github_webhook_deploy': {
                'local.state.sls': [
                    {'tgt': 'roles:{0}'.format(target)},
                    {'expr_form': 'grain'},
                    {'arg': ['{0}.deploy'.format(target), 'prod']},
                ]
            }
        }
    else:
        return {}
`

func TestSeed003PyReactor(t *testing.T) {
	python, err := pyrender.FindPython()
	if err != nil {
		t.Skip(err)
	}
	interp := pyrender.New(python, nil)
	t.Cleanup(func() { interp.Close() })
	fb := newFake()
	rules, err := ParseRules([]map[string][]string{{"salt/netapi/hook/deploy/*": {"/srv/lta/reactor/code-deploy.sls"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, Config{
		Rules:  rules,
		Loader: render.MapLoader{"srv/lta/reactor/code-deploy.sls": seed003Py},
		Opts:   map[string]any{"github": map[string]any{"webhook-key": "s3cret"}},
		RenderPy: func(ctx context.Context, text []byte, file string, globals map[string]any) (*render.Map, error) {
			return interp.Render(ctx, text, file, pyrender.Vars{Globals: globals})
		},
	}, fb)
	body := `{"ref": "refs/heads/main"}`
	mac := hmac.New(sha1.New, []byte("s3cret"))
	mac.Write([]byte(body))
	sig := hex.EncodeToString(mac.Sum(nil))

	// a forged signature: no reaction
	e.Handle("salt/netapi/hook/deploy/php-web-host", map[string]any{"headers": map[string]any{"X-Hub-Signature": "sha1=00"}, "body": body})
	// the genuine one deploys
	e.Handle("salt/netapi/hook/deploy/php-web-host", map[string]any{"headers": map[string]any{"X-Hub-Signature": "sha1=" + sig}, "body": body})
	fb.waitTag(t, "brine/reactor/github_webhook_deploy/result")
	calls := fb.Calls()
	want := call{kind: "local", tgt: "roles:php-web-host", tgtType: "grain", fun: "state.sls", arg: []any{"php-web-host.deploy", "prod"}, kwarg: map[string]any{}, depth: 1}
	if len(calls) != 1 || !reflect.DeepEqual(calls[0], want) {
		t.Fatalf("calls = %+v\nwant [%+v]", calls, want)
	}

	// a Python error is a reactor file error naming the file and line
	e.Handle("salt/netapi/hook/deploy/x", map[string]any{"headers": map[string]any{}, "body": body})
	ev := fb.waitTag(t, TagError)
	if msg, _ := ev.data["error"].(string); !strings.Contains(msg, "code-deploy.sls:9") || !strings.Contains(msg, "AttributeError") {
		t.Errorf("error event %v", ev.data)
	}
}
