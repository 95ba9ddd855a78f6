package api

import (
	"net/http"
	"os"
)

// handleBootstrapMinion serves the minion binary built alongside the
// master to a cloud node's user data. It needs no login: the binary holds
// no secret, and a node has none yet (its join token is checked by the
// bus when it connects).
func (s *Server) handleBootstrapMinion(w http.ResponseWriter, r *http.Request) {
	if s.cfg.BootstrapMinion == "" {
		writeError(w, http.StatusNotFound, "no minion binary is served here (set the cloud profile's bootstrap_url)")
		return
	}
	f, err := os.Open(s.cfg.BootstrapMinion)
	if err != nil {
		s.log.Error("bootstrap minion binary", "err", err)
		writeError(w, http.StatusNotFound, "minion binary unavailable")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		writeError(w, http.StatusNotFound, "minion binary unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="minion"`)
	http.ServeContent(w, r, "minion", st.ModTime(), f)
}
