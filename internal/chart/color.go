package chart

import (
	"hash/fnv"
	"strings"
)

// OtherColor is the neutral grey used for the "other" bucket.
const OtherColor = "#b5b0ab"

// unknownColor marks keys that stand for "no value" (unknown country, ...).
const unknownColor = "#8a8480"

// palette is a restrained qualitative palette (Tableau 10 without its grey,
// followed by the lighter Tableau 20 companions). Adjacent entries differ in
// hue so that stacked segments stay distinguishable.
var palette = []string{
	"#4e79a7", // blue
	"#f28e2b", // orange
	"#e15759", // red
	"#76b7b2", // teal
	"#59a14f", // green
	"#edc948", // yellow
	"#b07aa1", // purple
	"#ff9da7", // pink
	"#9c755f", // brown
	"#a0cbe8", // light blue
	"#ffbe7d", // light orange
	"#8cd17d", // light green
	"#b6992d", // olive
	"#86bcb6", // light teal
	"#d37295", // rose
	"#d4a6c8", // lilac
	"#f1ce63", // light yellow
	"#fabfd2", // light pink
	"#499894", // dark teal
	"#ff9d9a", // salmon
}

// fixedColors pins the keys that appear in most reports to a palette entry so
// that they keep one colour everywhere, whatever else is in the chart. The
// common source countries of darknet traffic come first, then the traffic
// classes used by honeyscope.
var fixedColors = map[string]string{
	"cn": palette[2],  // red
	"us": palette[0],  // blue
	"br": palette[4],  // green
	"in": palette[1],  // orange
	"ru": palette[6],  // purple
	"vn": palette[3],  // teal
	"id": palette[5],  // yellow
	"tw": palette[7],  // pink
	"kr": palette[8],  // brown
	"jp": palette[14], // rose
	"it": palette[9],  // light blue
	"mx": palette[11], // light green
	"fr": palette[10], // light orange
	"de": palette[12], // olive
	"nl": palette[13], // light teal
	"gb": palette[15], // lilac
	"hk": palette[19], // salmon
	"sg": palette[16], // light yellow
	"th": palette[18], // dark teal
	"ir": palette[17], // light pink

	"mirai":       palette[2],
	"zmap":        palette[0],
	"masscan":     palette[1],
	"backscatter": palette[6],
	"exploit":     palette[8],
	"access":      palette[3],

	"other":  OtherColor,
	"others": OtherColor,
	"その他":    OtherColor,

	"":        unknownColor,
	"unknown": unknownColor,
	"zz":      unknownColor,
	"xx":      unknownColor,
	"--":      unknownColor,
	"??":      unknownColor,
}

// ColorFor returns the colour ("#rrggbb") that key has in every chart.
// Common country codes (CN, US, BR, IN, RU, VN, ID, TW, KR, JP, IT, MX, FR, DE,
// NL, GB, ...) and the traffic classes (mirai, zmap, masscan, backscatter,
// exploit, access) have fixed colours; "other" is grey; any other key is hashed
// into the palette. Keys are compared case-insensitively.
func ColorFor(key string) string {
	k := strings.ToLower(strings.TrimSpace(key))
	if c, ok := fixedColors[k]; ok {
		return c
	}
	return palette[hashIndex(k)]
}

func hashIndex(k string) int {
	h := fnv.New32a()
	h.Write([]byte(k))
	return int(h.Sum32() % uint32(len(palette)))
}

// assignColors returns one colour per key for a single chart. Explicit colours
// win; keys with a fixed colour keep it; hashed keys that would repeat a colour
// already used in this chart probe forward through the palette so that two
// series never share a colour while the palette lasts. The probe depends only
// on the keys before it, so the same key list always gives the same colours.
func assignColors(keys, explicit []string) []string {
	out := make([]string, len(keys))
	used := map[string]bool{}
	hashed := make([]bool, len(keys))
	for i, k := range keys {
		if i < len(explicit) {
			if c, ok := normColor(explicit[i]); ok {
				out[i] = c
				used[c] = true
				continue
			}
		}
		if c, ok := fixedColors[strings.ToLower(strings.TrimSpace(k))]; ok {
			out[i] = c
			if c != OtherColor && c != unknownColor {
				used[c] = true
			}
			continue
		}
		hashed[i] = true
	}
	for i, k := range keys {
		if !hashed[i] {
			continue
		}
		start := hashIndex(strings.ToLower(strings.TrimSpace(k)))
		c := palette[start]
		for j := 0; j < len(palette); j++ {
			cand := palette[(start+j)%len(palette)]
			if !used[cand] {
				c = cand
				break
			}
		}
		out[i] = c
		used[c] = true
	}
	return out
}

// normColor accepts "#rgb" and "#rrggbb" (any case) and returns "#rrggbb" in
// lower case.
func normColor(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) == 4 && s[0] == '#' && isHex(s[1:]) {
		return "#" + string([]byte{s[1], s[1], s[2], s[2], s[3], s[3]}), true
	}
	if len(s) == 7 && s[0] == '#' && isHex(s[1:]) {
		return s, true
	}
	return "", false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// rgb parses a colour produced by normColor; anything else is black.
func rgb(s string) (r, g, b uint8) {
	c, ok := normColor(s)
	if !ok {
		return 0, 0, 0
	}
	v := func(i int) uint8 { return hexNibble(c[i])<<4 | hexNibble(c[i+1]) }
	return v(1), v(3), v(5)
}

func hexNibble(c byte) uint8 {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}
