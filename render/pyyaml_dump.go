package render

// PyYAMLDump is PyYAML's yaml.safe_dump(v, default_flow_style=flow) of
// plain data (nil flow: PyYAML's None, collections of scalars in flow
// style), as Salt's yaml serializer writes it, e.g. for file.serialize.
func PyYAMLDump(v any, flow *bool) (string, error) {
	st := &state{}
	return st.pyYAMLDumpStyle(v, flow)
}
