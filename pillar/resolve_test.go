package pillar

import "testing"

func TestResolveRelative(t *testing.T) {
	for _, tc := range []struct{ sls, file, name, want string }{
		{"app", "app/init.sls", ".defaults", "app.defaults"},
		{"app.web", "app/web.sls", ".defaults", "app.defaults"},
		{"app.web", "app/web/init.sls", ".defaults", "app.web.defaults"},
		{"app.web", "app/web/init.sls", "..common", "app.common"},
		{"app.web", "app/web.sls", "other", "other"},
	} {
		if got := resolveRelative(tc.sls, tc.file, tc.name); got != tc.want {
			t.Errorf("%s (%s) includes %s: got %s, want %s", tc.sls, tc.file, tc.name, got, tc.want)
		}
	}
}
