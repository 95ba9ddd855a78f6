package render

import "context"

func init() {
	RegisterRenderer("jinja", Renderer{
		Doc: "Renders the text as a Jinja template with Salt's variables and functions (the default pipeline's first stage).",
		Render: func(ctx context.Context, s *Stage, c *Context) error {
			if err := needText(s, "jinja"); err != nil {
				return err
			}
			if out, ok, err := plainText(ctx, s.Text, s.File); ok {
				if err != nil {
					return err
				}
				s.Text = out // its lines are the template's
				return nil
			}
			out, lm, err := renderJinja(ctx, s.Text, s.File, c)
			if err != nil {
				return err
			}
			s.Text, s.lines = out, lm
			return nil
		},
	})
}
