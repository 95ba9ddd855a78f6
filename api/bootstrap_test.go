package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// GET /bootstrap/minion serves the minion binary without a login; with
// none configured it is a 404, and POST is not allowed.
func TestBootstrapMinion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "minion")
	if err := os.WriteFile(bin, []byte("\x7fELF minion"), 0o755); err != nil {
		t.Fatal(err)
	}
	get := func(s *Server, method string) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(method, "/bootstrap/minion", nil))
		b, _ := io.ReadAll(rec.Result().Body)
		return rec.Code, string(b)
	}
	s := New(&Config{BootstrapMinion: bin}, newFake(), nil)
	if code, body := get(s, http.MethodGet); code != http.StatusOK || body != "\x7fELF minion" {
		t.Errorf("GET: %d %q", code, body)
	}
	if code, _ := get(s, http.MethodPost); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", code)
	}
	if code, _ := get(New(&Config{}, newFake(), nil), http.MethodGet); code != http.StatusNotFound {
		t.Errorf("not configured: %d", code)
	}
	if code, _ := get(New(&Config{BootstrapMinion: filepath.Dir(bin)}, newFake(), nil), http.MethodGet); code != http.StatusNotFound {
		t.Errorf("a directory: %d", code)
	}
}
