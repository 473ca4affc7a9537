package store

import "fmt"

// MaxFetchURL bounds a stored URL; longer ones are refused (the fetcher
// records them shortened, with an error).
const MaxFetchURL = 16 << 10

// Checked returns f as a store keeps it, its SHA-256 in lower case, or an
// error saying what of f no store takes: a URL empty or over MaxFetchURL
// bytes, or a SHA-256 that is not 64 hex digits.
func (f Fetch) Checked() (Fetch, error) {
	if f.URL == "" || len(f.URL) > MaxFetchURL {
		return f, fmt.Errorf("URL of %d bytes (want 1 to %d)", len(f.URL), MaxFetchURL)
	}
	if f.SHA256 != "" {
		h, err := HashPrefix(f.SHA256)
		if err != nil || len(h) != 64 {
			return f, fmt.Errorf("sha256 %q is not 64 hex digits", f.SHA256)
		}
		f.SHA256 = h
	}
	return f, nil
}
