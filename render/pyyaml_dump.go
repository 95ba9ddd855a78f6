package render

// PyYAMLDump is PyYAML's yaml.safe_dump(v, default_flow_style=flow,
// allow_unicode=allowUnicode) of plain data (nil flow: PyYAML's None,
// collections of scalars in flow style), as Salt's yaml serializer writes
// it, e.g. for file.serialize.
func PyYAMLDump(v any, flow *bool, allowUnicode bool) (string, error) {
	st := &state{}
	e := newEmitter(st)
	e.asciiOnly = !allowUnicode
	return st.pyYAMLEmit(e, v, flow)
}
