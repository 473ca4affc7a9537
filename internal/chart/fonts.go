package chart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/width"
)

// ErrNoCJKFont is wrapped, next to ErrMissingGlyphs, by the error that PNG
// methods return together with a complete image when the chart has Japanese
// (or other CJK) text and no CJK font was found: those characters are drawn
// as empty boxes. Installing a CJK font (Debian: fonts-noto-cjk) or calling
// UseFontFiles fixes it; FontNotice gives a sentence for reports.
var ErrNoCJKFont = errors.New("no CJK font found (install fonts-noto-cjk or set one with UseFontFiles)")

// ErrMissingGlyphs is wrapped by the error that PNG methods return, together
// with a complete image, when some characters had no glyph in any font
// available: each is drawn as an empty box. When no CJK font is installed the
// error also wraps ErrNoCJKFont.
var ErrMissingGlyphs = errors.New("characters without a glyph, drawn as empty boxes")

// fontSet is what the raster backend draws text with: per weight, a chain of
// fonts tried in order for each character.
type fontSet struct {
	regular []*sfnt.Font
	bold    []*sfnt.Font
	cjkPath string // empty when no CJK font is loaded
}

var (
	fontMu      sync.Mutex
	fontCurrent *fontSet

	goFontsOnce          sync.Once
	goRegular, goBoldFnt *sfnt.Font
	goFontsErr           error
)

func goFonts() (*sfnt.Font, *sfnt.Font, error) {
	goFontsOnce.Do(func() {
		goRegular, goFontsErr = sfnt.Parse(goregular.TTF)
		if goFontsErr == nil {
			goBoldFnt, goFontsErr = sfnt.Parse(gobold.TTF)
		}
		if goFontsErr != nil {
			goFontsErr = fmt.Errorf("parse embedded Go font: %w", goFontsErr)
		}
	})
	return goRegular, goBoldFnt, goFontsErr
}

// currentFonts returns the font set for PNG output, searching the system font
// directories on first use.
func currentFonts() (*fontSet, error) {
	fontMu.Lock()
	defer fontMu.Unlock()
	if fontCurrent != nil {
		return fontCurrent, nil
	}
	reg, bold := findCJKFontFiles(fontDirs())
	fs, err := buildFontSet(reg, bold)
	if err != nil {
		// A broken system font must not stop charts: fall back to Go fonts.
		fs, err = buildFontSet("", "")
		if err != nil {
			return nil, err
		}
	}
	fontCurrent = fs
	return fs, nil
}

// UseFontFiles makes PNG output draw text with the given font files (TTF,
// OTF, TTC or OTC; in a collection the Japanese face is preferred). bold may
// be empty. It replaces the font found in the system font directories.
func UseFontFiles(regular, bold string) error {
	fs, err := buildFontSet(regular, bold)
	if err != nil {
		return err
	}
	if fs.cjkPath == "" {
		return fmt.Errorf("font %s: no Japanese glyphs", regular)
	}
	fontMu.Lock()
	fontCurrent = fs
	fontMu.Unlock()
	return nil
}

// CJKFont reports the CJK font file PNG output uses, if any.
func CJKFont() (path string, ok bool) {
	fs, err := currentFonts()
	if err != nil || fs.cjkPath == "" {
		return "", false
	}
	return fs.cjkPath, true
}

// CJKFontAvailable reports whether PNG output can draw Japanese text, i.e.
// whether a CJK font was found or set with UseFontFiles. SVG output does not
// depend on it: the viewer's fonts draw SVG text.
func CJKFontAvailable() bool {
	_, ok := CJKFont()
	return ok
}

// FontNotice returns a sentence for a report, in Japanese when lang is "ja"
// and in English otherwise, saying that the PNG charts show Japanese
// characters as empty boxes because no CJK font is installed, and how to fix
// it. It returns "" when a CJK font is available.
func FontNotice(lang string) string {
	if CJKFontAvailable() {
		return ""
	}
	return fontNotice(lang)
}

func fontNotice(lang string) string {
	if isJa(lang) {
		return "日本語フォントが見つからないため、PNG 画像の日本語の文字は空の四角で表示されています (SVG 画像とこのページの文字は正しく表示されます)。" +
			"Debian/Ubuntu では fonts-noto-cjk をインストールしてからレポートを作り直してください。"
	}
	return "No CJK font was found, so Japanese characters in the PNG charts are drawn as empty boxes (the SVG charts and this page are not affected). " +
		"Install one (Debian/Ubuntu: fonts-noto-cjk) and generate the report again."
}

func buildFontSet(regPath, boldPath string) (*fontSet, error) {
	gr, gb, err := goFonts()
	if err != nil {
		return nil, err
	}
	fs := &fontSet{}
	var reg, bold *sfnt.Font
	if regPath != "" {
		reg, err = loadFontFile(regPath)
		if err != nil {
			return nil, err
		}
		if hasGlyph(reg, 'あ') && hasGlyph(reg, '日') {
			fs.cjkPath = regPath
		}
	}
	if boldPath != "" {
		bold, err = loadFontFile(boldPath)
		if err != nil {
			return nil, err
		}
	}
	// Regular: the CJK font draws everything it has (its Latin matches its
	// kana), then the Go font fills in.
	if reg != nil {
		fs.regular = append(fs.regular, reg)
	}
	fs.regular = append(fs.regular, gr)
	switch {
	case bold != nil:
		fs.bold = append(fs.bold, bold)
		if reg != nil {
			fs.bold = append(fs.bold, reg)
		}
		fs.bold = append(fs.bold, gb)
	case reg != nil:
		fs.bold = append(fs.bold, reg, gb)
	default:
		fs.bold = append(fs.bold, gb, gr)
	}
	return fs, nil
}

// loadFontFile parses a font file; in a collection it picks the face whose
// family name says Japanese ("JP"), else the first one.
func loadFontFile(path string) (*sfnt.Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read font: %w", err)
	}
	if len(data) >= 4 && string(data[:4]) == "ttcf" {
		c, err := sfnt.ParseCollection(data)
		if err != nil {
			return nil, fmt.Errorf("parse font collection %s: %w", path, err)
		}
		var first *sfnt.Font
		var buf sfnt.Buffer
		for i := 0; i < c.NumFonts(); i++ {
			f, err := c.Font(i)
			if err != nil {
				continue
			}
			if first == nil {
				first = f
			}
			name, err := f.Name(&buf, sfnt.NameIDFamily)
			if err == nil && (strings.Contains(name, " JP") || strings.Contains(name, "Japanese")) &&
				!strings.Contains(name, "Mono") {
				return f, nil
			}
		}
		if first == nil {
			return nil, fmt.Errorf("parse font collection %s: no usable face", path)
		}
		return first, nil
	}
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse font %s: %w", path, err)
	}
	return f, nil
}

func hasGlyph(f *sfnt.Font, r rune) bool {
	var buf sfnt.Buffer
	i, err := f.GlyphIndex(&buf, r)
	return err == nil && i != 0
}

// fontDirs lists the usual system and per-user font directories.
func fontDirs() []string {
	var dirs []string
	switch runtime.GOOS {
	case "windows":
		if w := os.Getenv("WINDIR"); w != "" {
			dirs = append(dirs, filepath.Join(w, "Fonts"))
		}
		if l := os.Getenv("LOCALAPPDATA"); l != "" {
			dirs = append(dirs, filepath.Join(l, "Microsoft", "Windows", "Fonts"))
		}
	case "darwin":
		dirs = append(dirs, "/System/Library/Fonts", "/Library/Fonts")
	default:
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			dirs = append(dirs, filepath.Join(x, "fonts"))
		}
		dirs = append(dirs, "/usr/share/fonts", "/usr/local/share/fonts")
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, ".local", "share", "fonts"), filepath.Join(h, ".fonts"),
			filepath.Join(h, "Library", "Fonts"))
	}
	return dirs
}

// cjkFontNames are font file names (lower case) in order of preference, as
// pairs of regular and bold.
var cjkFontNames = [][2]string{
	{"notosanscjk-regular.ttc", "notosanscjk-bold.ttc"},
	{"notosanscjkjp-regular.otf", "notosanscjkjp-bold.otf"},
	{"notosansjp-regular.otf", "notosansjp-bold.otf"},
	{"notosansjp-regular.ttf", "notosansjp-bold.ttf"},
	{"notosanscjk-vf.otf.ttc", ""},
	{"sourcehansans-regular.ttc", "sourcehansans-bold.ttc"},
	{"sourcehansansjp-regular.otf", "sourcehansansjp-bold.otf"},
	{"ipaexg.ttf", ""},
	{"ipagp.ttf", ""},
	{"ipag.ttf", ""},
	{"vl-pgothic-regular.ttf", ""},
	{"yugothr.ttc", "yugothb.ttc"},
	{"meiryo.ttc", "meiryob.ttc"},
	{"msgothic.ttc", ""},
	{"droidsansfallbackfull.ttf", ""},
	{"wqy-zenhei.ttc", ""},
}

// findCJKFontFiles walks dirs for the most preferred CJK font it knows.
func findCJKFontFiles(dirs []string) (regular, bold string) {
	found := map[string]string{}
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if e != nil && e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if e.IsDir() {
				return nil
			}
			n := strings.ToLower(e.Name())
			if _, seen := found[n]; !seen {
				found[n] = p
			}
			return nil
		})
	}
	for _, pair := range cjkFontNames {
		if r, ok := found[pair[0]]; ok {
			return r, found[pair[1]]
		}
	}
	return "", ""
}

// Text measurement for layout. Layout must be identical for the SVG and the
// PNG and on every machine, so it does not use whatever font happens to be
// installed: Latin widths come from the embedded Go fonts and East Asian wide
// characters count one em. The raster backend aligns text with the real
// font's widths, so only spacing (not alignment) depends on this estimate.
var (
	measureMu    sync.Mutex
	measureASCII [2][128]float64
	measureOther = map[[2]rune]float64{}
	measureReady bool
)

// textWidth estimates the width of s drawn at size px.
func textWidth(s string, size float64, bold bool) float64 {
	measureMu.Lock()
	defer measureMu.Unlock()
	if !measureReady {
		initMeasure()
	}
	b := 0
	if bold {
		b = 1
	}
	w := 0.0
	for _, r := range s {
		if r >= 0 && r < 128 {
			w += measureASCII[b][r]
			continue
		}
		key := [2]rune{rune(b), r}
		em, ok := measureOther[key]
		if !ok {
			em = runeEm(r, bold)
			measureOther[key] = em
		}
		w += em
	}
	return w * size
}

func initMeasure() {
	for b := 0; b < 2; b++ {
		for r := rune(0); r < 128; r++ {
			measureASCII[b][r] = runeEm(r, b == 1)
		}
	}
	measureReady = true
}

// runeEm is the advance of r in ems.
func runeEm(r rune, bold bool) float64 {
	if r < 0x20 || r == 0x7f {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 1
	}
	gr, gb, err := goFonts()
	if err != nil {
		return 0.6
	}
	f := gr
	if bold {
		f = gb
	}
	var buf sfnt.Buffer
	idx, err := f.GlyphIndex(&buf, r)
	if err != nil || idx == 0 {
		return 0.6
	}
	upem := f.UnitsPerEm()
	adv, err := f.GlyphAdvance(&buf, idx, fixed.Int26_6(upem), 0)
	if err != nil {
		return 0.6
	}
	return float64(adv) / float64(upem)
}

// truncate shortens s with an ellipsis so that it fits in max px.
func truncate(s string, size float64, bold bool, max float64) string {
	if textWidth(s, size, bold) <= max {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 {
		rs = rs[:len(rs)-1]
		t := strings.TrimRight(string(rs), " ") + "…"
		if textWidth(t, size, bold) <= max {
			return t
		}
	}
	return ""
}
