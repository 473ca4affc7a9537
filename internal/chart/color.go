package chart

import (
	"hash/fnv"
	"strings"
)

// OtherColor is the neutral grey used for the "other" bucket.
const OtherColor = "#b5b0ab"

// unknownColor marks keys that stand for "no value" (unknown country, ...).
const unknownColor = "#8a8480"

// palette holds 80 colours that stay apart in CIEDE2000 (checked by
// TestPaletteDistinct): entries 0–8 are Tableau 10 without its grey, the
// rest were picked greedily, each as far as possible from all before it,
// among sRGB colours of CIELAB lightness 38–85 and moderate chroma (pale
// colours less saturated), also kept away from the greys of "other", of
// unknown keys, of text and from the white background.
//
// Entries 0 to fixedSlots-1 are only ever used by the fixed keys below
// (every pair of them differs by ΔE00 ≥ 13); the remaining entries are the
// hashed set (every pair in the palette differs by ΔE00 ≥ 9.5).
var palette = []string{
	"#4e79a7",
	"#f28e2b",
	"#e15759",
	"#76b7b2",
	"#59a14f",
	"#edc948",
	"#b07aa1",
	"#ff9da7",
	"#9c755f",
	"#236455",
	"#646400",
	"#b4b9ff",
	"#7841a0",
	"#32b9ff",
	"#874655",
	"#c3dca5",
	"#a03714",
	"#aa8714",
	"#ffc8aa",
	"#ffb9fa",
	"#0f7319",
	"#875500",
	"#2d8791",
	"#9173d7",
	"#a0a073",
	"#73698c",
	"#3ce6ff",
	"#00c896",
	"#009173",
	"#697d5a",
	"#ff8764",
	"#cd417d",
	"#7d8c0f",
	"#05647d",
	"#699bff",
	"#ff7dc3",
	"#c39b73",
	"#e6d2a5",
	"#b95f1e",
	"#9bb946",
	"#877850",
	"#785041",
	"#b9a5c8",
	"#46559b",
	"#b98787",
	"#d287eb",
	"#9b2d78",
	"#aad7f5",
	"#b93241",
	"#5ae6d7",
	"#8791b9",
	"#af55af",
	"#69a0b4",
	"#87af8c",
	"#6e5a3c",
	"#a56464",
	"#5a5f3c",
	"#f5c3d2",
	"#e16e8c",
	"#dca546",
	"#0091cd",
	"#785073",
	"#b9aa4b",
	"#91e6b4",
	"#b97d37",
	"#c87355",
	"#dccdfa",
	"#d2a596",
	"#00a09b",
	"#005f9b",
	"#d79bb9",
	"#00b9cd",
	"#327850",
	"#557800",
	"#8c6e14",
	"#9691fa",
	"#c34b37",
	"#a05f7d",
	"#af1e55",
	"#6ec373",
}

// fixedSlots is the number of palette entries reserved for fixed keys.
const fixedSlots = 40

// Fixed palette positions. Countries are the commonest sources of Internet
// background radiation, most frequent first (the first nine keep the
// Tableau 10 colours they always had); classes and ports reuse positions
// because they never share a chart with countries or with each other.
var (
	fixedCountries = []string{
		"us", "in", "cn", "vn", "br", "id", "ru", "tw", "kr", // 0–8
		"jp", "it", "mx", "fr", "de", "nl", "gb", "hk", "sg", "th",
		"ir", "tr", "ar", "eg", "pk", "bd", "ua", "ph", "my", "co",
		"za", "ca", "ro", "pl", "es", "bg", "au", "sa", "iq", "kz", "ec",
	}
	fixedClasses = map[string]int{
		"zmap": 0, "masscan": 1, "mirai": 2, "access": 3, "backscatter": 6, "exploit": 8, "intrusion": 14,
	}
	fixedPorts = []string{
		"22/tcp", "443/tcp", "23/tcp", "8080/tcp", "80/tcp", "2323/tcp", "445/tcp", "3389/tcp", "5555/tcp",
		"8443/tcp", "81/tcp", "8081/tcp", "1433/tcp", "3306/tcp", "6379/tcp", "37215/tcp", "52869/tcp", "7547/tcp", "21/tcp",
		"25/tcp", "8888/tcp", "9200/tcp", "2375/tcp", "5900/tcp", "8000/tcp", "8088/tcp", "60001/tcp", "49152/tcp", "8983/tcp",
		"53/udp", "123/udp", "161/udp", "1900/udp", "5060/udp", "137/udp", "0/icmp", "3/icmp", "8/icmp", "11/icmp", "128/icmpv6",
	}
)

// fixedColors maps every key with a fixed colour to it.
var fixedColors = func() map[string]string {
	m := map[string]string{
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
	for i, k := range fixedCountries {
		m[k] = palette[i]
	}
	for k, i := range fixedClasses {
		m[k] = palette[i]
	}
	for i, k := range fixedPorts {
		m[k] = palette[i]
	}
	return m
}()

// normKey is the form keys are compared in.
func normKey(key string) string { return strings.ToLower(strings.TrimSpace(key)) }

// isOtherKey reports whether key stands for the "other" bucket: "other",
// "others", "その他", or "other/<anything>" (e.g. other ports per protocol).
func isOtherKey(key string) bool {
	k := normKey(key)
	return fixedColors[k] == OtherColor || strings.HasPrefix(k, "other/")
}

// ColorFor returns the colour ("#rrggbb") that key has in every chart and
// every report. It depends on the key alone, never on the other keys of a
// chart:
//   - the 40 commonest source countries of background radiation (US, IN, CN,
//     VN, BR, ID, RU, TW, KR, JP, IT, MX, FR, DE, NL, GB, ...), the traffic
//     classes (mirai, zmap, masscan, backscatter, exploit, intrusion, access) and 40
//     common destination ports ("23/tcp", "445/tcp", "8/icmp", ...) have
//     fixed colours, distinct within each group;
//   - "other" (also "other/tcp" etc.) is grey, unknown keys ("", "??", "ZZ")
//     a darker grey;
//   - any other key is hashed (FNV-1a) into a separate set of 40 colours
//     that no fixed key uses.
//
// Two hashed keys in one chart share a colour with probability 1/40 per
// pair; that rare clash is accepted as the price of stability. Keys are
// compared case-insensitively.
func ColorFor(key string) string {
	k := normKey(key)
	if c, ok := fixedColors[k]; ok {
		return c
	}
	if strings.HasPrefix(k, "other/") {
		return OtherColor
	}
	return palette[fixedSlots+hashIndex(k, len(palette)-fixedSlots)]
}

func hashIndex(k string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(k))
	return int(h.Sum32() % uint32(n))
}

// assignColors returns one colour per key for a single chart: the explicit
// colour when it is valid, else ColorFor(key). It never looks at the other
// keys, so a key has the same colour in every chart.
func assignColors(keys, explicit []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if i < len(explicit) {
			if c, ok := normColor(explicit[i]); ok {
				out[i] = c
				continue
			}
		}
		out[i] = ColorFor(k)
	}
	return out
}

// otherLast returns the indices 0..n-1 with the keys for which isOther is
// true moved to the end, keeping the order within both groups, so that
// "other" is always the top segment and the last legend entry.
func otherLast(n int, isOther func(int) bool) []int {
	order := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if !isOther(i) {
			order = append(order, i)
		}
	}
	for i := 0; i < n; i++ {
		if isOther(i) {
			order = append(order, i)
		}
	}
	return order
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
