package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file, served under its name and under a name with
// its content hash ("app.3f2a9c1b.css"): pages link the hashed name, which
// is cached for a year.
type asset struct {
	name, hashed string
	data         []byte
	etag, ctype  string
}

var assets = func() map[string]*asset {
	out := map[string]*asset{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		data, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(e.Name())
		a := &asset{name: e.Name(), hashed: strings.TrimSuffix(e.Name(), ext) + "." + h + ext, data: data,
			etag: `"` + h + `"`, ctype: mime.TypeByExtension(ext)}
		out[a.name], out[a.hashed] = a, a
	}
	return out
}()

// assetURL is the hashed URL of an embedded file.
func assetURL(name string) string { return "/static/" + assets[name].hashed }

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	a, ok := assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	if name == a.hashed {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(a.data)
}
