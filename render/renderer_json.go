package render

import "context"

func init() {
	RegisterRenderer("json", Renderer{
		Doc: "Reads the text as JSON (as a YAML document, as Salt's loader does), keeping object order.",
		Render: func(_ context.Context, s *Stage, c *Context) error {
			if s.Data != nil {
				return &Error{File: s.File, Line: 1, Stage: "render", Msg: "the json renderer reads text, but an earlier renderer in the pipeline produced data"}
			}
			m, err := parseSLSCached(c.parsed(), s.Text, s.File, s.lines, c.readOnlyData())
			if err != nil {
				return err
			}
			s.Data, s.Text = m, nil
			return nil
		},
	})
}
