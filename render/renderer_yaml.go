package render

import "context"

func init() {
	yaml := Renderer{
		Doc: "Reads the text as YAML the way Salt's loader (PyYAML, YAML 1.1) does, keeping mapping order.",
		Render: func(_ context.Context, s *Stage, c *Context) error {
			if s.Data != nil {
				return &Error{File: s.File, Line: 1, Stage: "render", Msg: "the yaml renderer reads text, but an earlier renderer in the pipeline produced data"}
			}
			m, err := parseSLSCached(c.parsed(), s.Text, s.File, s.lines, c.readOnlyData())
			if err != nil {
				return err
			}
			s.Data, s.Text = m, nil
			return nil
		},
	}
	RegisterRenderer("yaml", yaml)
	// yamlex is Salt's extended YAML; the constructs SLS files use are
	// YAML's
	RegisterRenderer("yamlex", yaml)
}
