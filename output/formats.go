package output

import "io"

func init() {
	Default.Register(&Outputter{
		Name: string(JSON), Doc: "One JSON document, indented by 4 spaces, keys sorted (Salt's json outputter).",
		Document: func(w io.Writer, v any, _ bool) error { return encodeJSON(w, v) },
	})
	Default.Register(&Outputter{
		Name: string(YAML), Doc: "One YAML document (Salt's yaml outputter).",
		Document: func(w io.Writer, v any, _ bool) error { return encodeYAML(w, v) },
	})
}
