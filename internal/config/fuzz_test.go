package config

import (
	"strings"
	"testing"
)

func TestTOMLLines(t *testing.T) {
	src := `# comment = 1
db = "a" # db = 2
text = """
fake = 3
[fake]
"""
lit = '''x = 4'''
"quoted.key" = 1

[honeypot]
name = "x=y"
bind = [
  "127.0.0.1", # [x]
  "::1",
]
telnet.ports = [23,
  2323]
limits = { idle = "3m", connections = 5 }

[honeypot.generic.port_banners]
"6379" = "a"
'6380' = 'b'

[[arr]]
a = 1
[[arr]]
a = 2
`
	want := map[string]int{
		"db":                                 2,
		"text":                               3,
		"lit":                                7,
		"quoted.key":                         8,
		"honeypot":                           10,
		"honeypot.name":                      11,
		"honeypot.bind":                      12,
		"honeypot.bind[0]":                   13,
		"honeypot.bind[1]":                   14,
		"honeypot.telnet.ports":              16,
		"honeypot.telnet.ports[1]":           17,
		"honeypot.limits.idle":               18,
		"honeypot.limits.connections":        18,
		"honeypot.generic.port_banners":      20,
		"honeypot.generic.port_banners.6379": 21,
		"honeypot.generic.port_banners.6380": 22,
		"arr[0].a":                           25,
		"arr[1].a":                           27,
	}
	got := tomlLines([]byte(src))
	for k, l := range want {
		if got[k] != l {
			t.Errorf("%s: line %d, want %d", k, got[k], l)
		}
	}
	for _, k := range []string{"fake", "comment", "x"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s was taken from inside a string or a comment", k)
		}
	}
}

// FuzzParse: no input panics Parse, in either format, and a file that
// loads gives a File that validates again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Example()))
	f.Add([]byte(ExampleTOML()))
	for _, c := range problemCases {
		f.Add([]byte(c.data))
	}
	f.Add([]byte(aliasBomb()))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("x = \"\"\"\n\"\"\"\"\"\n[a.\"b\".c]\nd = 1979-05-27 07:32:00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{YAML, TOML} {
			file, err := Parse("fuzz", data, format)
			if err != nil {
				if err.Error() == "" || !strings.HasPrefix(err.Error(), "config fuzz: ") {
					t.Fatalf("%s: error %q does not name the file", format, err)
				}
				continue
			}
			if err := file.Validate(); err != nil {
				t.Fatalf("%s: loaded, then does not validate: %v", format, err)
			}
		}
		tomlLines(data)
	})
}
