package render

import (
	"bytes"
	"context"
	"strings"
)

const pgpBlock = "-----BEGIN PGP MESSAGE-----"

func init() {
	RegisterRenderer("gpg", Renderer{
		Doc: "Salt's gpg renderer: data without PGP-encrypted blocks passes unchanged; decrypting blocks is not supported, and a block is an error rather than ciphertext left in place.",
		Render: func(_ context.Context, s *Stage, _ *Context) error {
			found := false
			if s.Data == nil {
				found = bytes.Contains(s.Text, []byte(pgpBlock))
			} else {
				found = hasPGP(s.Data)
			}
			if found {
				return &Error{File: s.File, Stage: "gpg", Msg: "encrypted PGP blocks are not supported by this renderer"}
			}
			return nil
		},
	})
}

func hasPGP(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, pgpBlock)
	case *Map:
		for _, k := range x.Keys {
			if hasPGP(x.Values[k]) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasPGP(e) {
				return true
			}
		}
	}
	return false
}
