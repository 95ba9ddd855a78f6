package output

import "io"

func init() {
	Default.Register(&Outputter{
		Name: string(JSON), Doc: "One JSON document, indented by 4 spaces, keys sorted (Salt's json outputter).",
		Document: func(w io.Writer, v any, s Style) error { return encodeJSON(w, v, s) },
	})
	Default.Register(&Outputter{
		Name: string(YAML), Doc: "One YAML document (Salt's yaml outputter).",
		Document: func(w io.Writer, v any, _ Style) error { return encodeYAML(w, v) },
	})
}
