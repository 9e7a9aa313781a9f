package httpapi

import (
	"errors"
	"net/http"

	"github.com/discod/discod/membership"
)

// forceLeave serves PUT /v1/agent/force-leave/<node>[?prune]: a failed
// member becomes left cluster-wide at once (with prune, it is removed).
// Unknown names are 404 and live members 409, each with the reason.
func (s *Server) forceLeave(w http.ResponseWriter, r *http.Request) {
	_, prune := r.URL.Query()["prune"]
	err := s.Agent.ForceLeave(r.PathValue("node"), prune)
	switch {
	case errors.Is(err, membership.ErrUnknownMember):
		httpError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, membership.ErrNotFailed):
		httpError(w, http.StatusConflict, err.Error())
	case err != nil:
		httpError(w, http.StatusInternalServerError, err.Error())
	default:
		w.WriteHeader(http.StatusOK)
	}
}
