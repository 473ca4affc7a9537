// Package chart draws honeyscope's report charts as SVG and PNG.
//
// The package knows nothing about the store or the analysis: every chart kind
// (StackedBars, LineChart, DotPlot, HBar, SmallMultiples) is a plain struct of
// labels and numbers. Each chart lays itself out once against a small internal
// drawing interface; an SVG backend writes that layout as markup (with a
// <title> on every data mark, so hovering shows exact values) and a raster
// backend paints the same layout into a PNG with golang.org/x/image, without
// cgo or a browser.
//
// Text for PNGs is drawn with a CJK font found in the usual system font
// directories (Noto Sans CJK, Source Han Sans, IPA, Meiryo, ...) so Japanese
// labels render. When none is found, Latin text falls back to the embedded Go
// fonts, every character no font has is drawn as an empty box (never left
// out), and PNG methods return an error wrapping ErrMissingGlyphs and
// ErrNoCJKFont together with a valid image. CJKFontAvailable and FontNotice
// let a report tell its readers (on Debian: install fonts-noto-cjk).
//
// Colours come from ColorFor, which gives every key (country code, class
// name, port) the same colour in every chart, whatever else the chart shows.
// Series whose key means "other" are always stacked on top and listed last.
// Daily charts mark days without data (Gaps) and partial days (Coverage);
// StackedBars.YMax, SharedScale and SmallMultiples.SharedY put charts on one
// value scale.
package chart
