package web

// patternName is the readers' name of an exploit pattern key.
func (h *Handler) patternName(key string) string {
	if h.deps.PatternName != nil {
		if n := h.deps.PatternName(key); n != "" {
			return n
		}
	}
	return key
}
