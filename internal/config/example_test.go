package config

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func loadExample(t *testing.T, name string, data string, format Format) *File {
	t.Helper()
	f, err := Parse(name, []byte(data), format)
	if err != nil {
		t.Fatalf("the %s example does not load: %v", format, err)
	}
	return f
}

// TestExampleIsDefaults: the examples load, agree with each other, and
// hold exactly the defaults (with the honeypot on and the API moved).
func TestExampleIsDefaults(t *testing.T) {
	y := loadExample(t, "example.yaml", Example(), YAML)
	tm := loadExample(t, "example.toml", ExampleTOML(), TOML)
	want := &File{Listen: "127.0.0.1:9180"}
	want.Honeypot.Enabled = true
	want.Honeypot.ApplyDefaults()
	want.Capture = Capture{CommitInterval: 10 * time.Second, Workers: 1, Archive: DefaultArchive()}
	want.Fetcher = DefaultFetcher()
	want.Sandbox = DefaultSandbox()
	for _, f := range []*File{y, tm} {
		got := *f
		got.Path, got.src = "", nil
		// The examples spell out the empty lists and maps; the defaults
		// leave them nil. Both mean the same.
		got.Rules = nilIfEmpty(got.Rules)
		got.Honeypot.AllowCountries = nilIfEmpty(got.Honeypot.AllowCountries)
		got.Honeypot.AdminPorts = nilIfEmpty(got.Honeypot.AdminPorts)
		got.Capture.Interfaces = nilIfEmpty(got.Capture.Interfaces)
		got.Fetcher.Deny, got.Fetcher.Allow = nilIfEmpty(got.Fetcher.Deny), nilIfEmpty(got.Fetcher.Allow)
		got.Honeypot.Credentials.Accept = nilIfEmpty(got.Honeypot.Credentials.Accept)
		for _, s := range got.Honeypot.Services() {
			s.AllowCountries = nilIfEmpty(s.AllowCountries)
			s.Arch = nilIfEmpty(s.Arch)
			if len(s.PortBanners) == 0 {
				s.PortBanners = nil
			}
		}
		if !reflect.DeepEqual(&got, want) {
			t.Errorf("%s holds\n%+v\nnot the defaults\n%+v", f.Path, got, *want)
		}
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// allKeys lists every key path of the schema: "honeypot.telnet.ports".
func allKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		k := keyOf(t.Field(i))
		if k == "" {
			continue
		}
		p := joinKey(prefix, k)
		keys = append(keys, p)
		if ft := t.Field(i).Type; ft.Kind() == reflect.Struct && ft != durationType {
			keys = append(keys, allKeys(ft, p)...)
		}
	}
	return keys
}

// TestExampleComplete: every key of the schema is in both examples, each
// with a comment right above it, and every field has the same yaml and
// toml name.
func TestExampleComplete(t *testing.T) {
	checkTags(t, reflect.TypeFor[File]())
	keys := allKeys(reflect.TypeFor[File](), "")
	if len(keys) < 40 {
		t.Fatalf("only %d keys found in the schema", len(keys))
	}
	for _, ex := range []struct {
		name, text string
		lines      map[string]int
	}{
		{"yaml", Example(), yamlKeyLines(t, Example())},
		{"toml", ExampleTOML(), tomlLines([]byte(ExampleTOML()))},
	} {
		lines := strings.Split(ex.text, "\n")
		for _, k := range keys {
			l, ok := ex.lines[k]
			if !ok {
				t.Errorf("%s example: key %s is missing", ex.name, k)
				continue
			}
			above := strings.TrimSpace(lines[l-2])
			if !strings.HasPrefix(above, "#") && !strings.HasPrefix(above, "[") {
				t.Errorf("%s example line %d: key %s has no comment above it (%q)", ex.name, l, k, above)
			}
			if strings.HasPrefix(above, "[") && !strings.HasPrefix(strings.TrimSpace(lines[l-3]), "#") {
				t.Errorf("%s example line %d: section %s has no comment above it", ex.name, l, k)
			}
		}
		if regexp.MustCompile(`[^\x00-\x7f]`).MatchString(ex.text) {
			t.Errorf("%s example: not plain ASCII English", ex.name)
		}
	}
}

func yamlKeyLines(t *testing.T, text string) map[string]int {
	d := newDecoder()
	root, err := parseYAML([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var f File
	d.decode(root, "", &f)
	return d.src.lines
}

func checkTags(t *testing.T, typ reflect.Type) {
	for i := range typ.NumField() {
		sf := typ.Field(i)
		if !sf.IsExported() {
			continue
		}
		if y, tm := sf.Tag.Get("yaml"), sf.Tag.Get("toml"); y != tm || y == "" {
			t.Errorf("%s.%s: yaml %q, toml %q", typ.Name(), sf.Name, y, tm)
		}
		if sf.Type.Kind() == reflect.Struct && sf.Type != durationType {
			checkTags(t, sf.Type)
		}
	}
}

// TestExampleEdited: a value changed in the example is read (the example
// is not loaded by accident through the defaults).
func TestExampleEdited(t *testing.T) {
	y := strings.Replace(Example(), "    policy: after\n", "    policy: mirai\n", 1)
	tm := strings.Replace(ExampleTOML(), "policy = \"after\"\n", "policy = \"mirai\"\n", 1)
	for _, f := range []*File{loadExample(t, "y.yaml", y, YAML), loadExample(t, "t.toml", tm, TOML)} {
		if f.Honeypot.Credentials.Policy != PolicyMirai {
			t.Errorf("%s: policy %q", f.Path, f.Honeypot.Credentials.Policy)
		}
	}
}
