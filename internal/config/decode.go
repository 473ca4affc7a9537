package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// source remembers where each value of a File came from: the line of every
// key the file held, which keys held a value (not null), and which values
// a command-line flag gave.
type source struct {
	lines map[string]int    // key path -> line
	set   map[string]bool   // key paths given a value (not null)
	flags map[string]string // key path -> the flag that gave it
}

func newSource() *source {
	return &source{lines: map[string]int{}, set: map[string]bool{}, flags: map[string]string{}}
}

// decoder fills a struct from a tree, collecting problems.
type decoder struct {
	src      *source
	problems []*Problem
	more     int
}

func newDecoder() *decoder { return &decoder{src: newSource()} }

func (d *decoder) fail(line int, key, format string, args ...any) {
	if len(d.problems) >= maxProblems {
		d.more++
		return
	}
	d.problems = append(d.problems, &Problem{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) error(name string) *Error {
	return &Error{Path: name, Problems: d.problems, More: d.more}
}

var durationType = reflect.TypeFor[time.Duration]()

// decode fills *v (a struct) from the map node n found at path.
func (d *decoder) decode(n *node, path string, v any) {
	d.value(n, path, reflect.ValueOf(v).Elem(), "")
}

func (d *decoder) value(n *node, path string, rv reflect.Value, unit string) {
	if n == nil || n.kind == nullNode {
		return // absent or null: the zero value, i.e. the default
	}
	d.src.set[path] = true
	t := rv.Type()
	switch {
	case t == durationType:
		d.duration(n, path, rv)
		return
	case t.Kind() == reflect.Struct:
		d.section(n, path, rv)
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		if n.kind != listNode {
			d.fail(n.line, path, "%s: give a list, like %s", describe(n), listExample(t))
			return
		}
		s := reflect.MakeSlice(t, 0, len(n.items))
		for i, item := range n.items {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.src.lines[p] = item.line
			e := reflect.New(t.Elem()).Elem()
			if item.kind == nullNode {
				d.fail(item.line, p, "an empty list item")
				continue
			}
			d.value(item, p, e, unit)
			s = reflect.Append(s, e)
		}
		rv.Set(s)
	case reflect.Map:
		if n.kind != mapNode {
			d.fail(n.line, path, "%s: give a map of port: text", describe(n))
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.fields))
		seen := map[string]int{}
		for _, f := range n.fields {
			p := joinKey(path, f.key)
			if first, dup := seen[f.key]; dup {
				d.fail(f.line, p, "given twice (first at line %d)", first)
				continue
			}
			seen[f.key] = f.line
			d.src.lines[p] = f.line
			e := reflect.New(t.Elem()).Elem()
			d.value(f.val, p, e, unit)
			m.SetMapIndex(reflect.ValueOf(f.key), e)
		}
		rv.Set(m)
	case reflect.String:
		if n.kind != scalarNode {
			d.fail(n.line, path, "%s: give a text value", describe(n))
			return
		}
		rv.SetString(n.value)
	case reflect.Bool:
		if n.kind != scalarNode || n.tag != tagBool {
			d.fail(n.line, path, "%s is not true or false", describe(n))
			return
		}
		rv.SetBool(n.value == "true")
	case reflect.Uint16:
		d.port(n, path, rv, unit == "port or 0")
	case reflect.Int, reflect.Int64:
		d.integer(n, path, rv, unit)
	default:
		d.fail(n.line, path, "cannot be set from a file")
	}
}

// section fills a struct from a map node, refusing unknown and repeated keys.
func (d *decoder) section(n *node, path string, rv reflect.Value) {
	t := rv.Type()
	keys := sectionKeys(t)
	if n.kind != mapNode {
		where := path
		if where == "" {
			where = "the file"
		}
		d.fail(n.line, path, "%s: %s is a section of keys (%s)", describe(n), where, strings.Join(keys, ", "))
		return
	}
	seen := map[string]int{}
	for _, f := range n.fields {
		p := joinKey(path, f.key)
		if first, dup := seen[f.key]; dup {
			d.fail(f.line, p, "given twice (first at line %d)", first)
			continue
		}
		seen[f.key] = f.line
		i, ok := fieldIndex(t, f.key)
		if !ok {
			msg := "unknown key"
			if s := didYouMean(f.key, keys); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			where := "valid keys"
			if path != "" {
				where = "valid keys of " + path
			}
			d.fail(f.line, p, "%s (%s: %s)", msg, where, strings.Join(keys, ", "))
			continue
		}
		d.src.lines[p] = f.line
		sf := t.Field(i)
		unit := sf.Tag.Get("unit")
		if sf.Tag.Get("zero") == "none" {
			unit = "port or 0"
		}
		d.value(f.val, p, rv.Field(i), unit)
	}
}

// keyOf is the file key of a struct field ("" when it is not read from files).
func keyOf(sf reflect.StructField) string {
	if !sf.IsExported() {
		return ""
	}
	k, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
	if k == "-" {
		return ""
	}
	return k
}

func fieldIndex(t reflect.Type, key string) (int, bool) {
	for i := range t.NumField() {
		if k := keyOf(t.Field(i)); k != "" && k == key {
			return i, true
		}
	}
	return 0, false
}

// sectionKeys lists the keys of a section in their order in the struct.
func sectionKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if k := keyOf(t.Field(i)); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// describe names a node in a message: `"70000"`, `a list`, `a section`.
func describe(n *node) string {
	switch n.kind {
	case listNode:
		return "a list"
	case mapNode:
		return "a section of keys"
	}
	return strconv.Quote(n.value)
}

func listExample(t reflect.Type) string {
	if t.Elem().Kind() == reflect.Uint16 {
		return "[23, 2323]"
	}
	return `["a", "b"]`
}

func (d *decoder) duration(n *node, path string, rv reflect.Value) {
	const hint = `write it like "10s", "3m" or "1h30m"`
	if n.kind != scalarNode {
		d.fail(n.line, path, "%s is not a duration (%s)", describe(n), hint)
		return
	}
	if n.tag != tagStr {
		d.fail(n.line, path, "%s is not a duration: a number needs a unit (%s)", describe(n), hint)
		return
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.value))
	if err != nil {
		d.fail(n.line, path, "%s is not a duration (%s)", describe(n), hint)
		return
	}
	rv.SetInt(int64(v))
}

// port reads a TCP port: a whole number 1-65535 (written as a number or
// text), or 0 when zero (meaning none) is allowed.
func (d *decoder) port(n *node, path string, rv reflect.Value, zero bool) {
	lo := int64(1)
	if zero {
		lo = 0
	}
	if n.kind == scalarNode && (n.tag == tagInt || n.tag == tagStr) {
		if v, err := strconv.ParseInt(strings.TrimSpace(n.value), 10, 64); err == nil && v >= lo && v <= 65535 {
			rv.SetUint(uint64(v))
			return
		}
	}
	if zero {
		d.fail(n.line, path, "%s is not a port (1-65535, or 0 for none)", describe(n))
		return
	}
	d.fail(n.line, path, "%s is not a port (1-65535)", describe(n))
}

// integer reads a whole number; a size (unit "bytes") may carry a binary
// suffix: "64KiB", "4MiB", "1GiB".
func (d *decoder) integer(n *node, path string, rv reflect.Value, unit string) {
	bits := rv.Type().Bits()
	if n.kind == scalarNode {
		var v int64
		var err error
		switch {
		case n.tag == tagInt:
			v, err = strconv.ParseInt(n.value, 0, 64)
		case n.tag == tagStr && unit == "bytes":
			v, err = parseSize(n.value)
		case n.tag == tagFloat:
			// YAML reads a whole number beyond 64 bits as a float.
			if f, ferr := strconv.ParseFloat(n.value, 64); ferr == nil && f == math.Trunc(f) && math.Abs(f) >= 1<<63 {
				err = strconv.ErrRange
			} else {
				err = strconv.ErrSyntax
			}
		default:
			err = strconv.ErrSyntax
		}
		if err == nil && (bits == 64 || (v >= math.MinInt32 && v <= math.MaxInt32)) {
			rv.SetInt(v)
			return
		}
		if err == nil || errors.Is(err, errSizeRange) || errors.Is(err, strconv.ErrRange) {
			d.fail(n.line, path, "%s is too large", describe(n))
			return
		}
	}
	if unit == "bytes" {
		d.fail(n.line, path, `%s is not a size (a number of bytes, or like "64KiB", "4MiB")`, describe(n))
		return
	}
	d.fail(n.line, path, "%s is not a whole number", describe(n))
}

var errSizeRange = errors.New("size out of range")

// parseSize reads "4MiB", "64 KiB", "1GiB", "512B" or "1024".
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt64/mult || v < math.MinInt64/mult {
		return 0, errSizeRange
	}
	return v * mult, nil
}

// didYouMean returns the key of keys nearest to key, when near enough to
// be a typo.
func didYouMean(key string, keys []string) string {
	best, bestD := "", 1<<30
	lk := strings.ToLower(key)
	for _, k := range keys {
		d := editDistance(lk, k)
		if strings.ReplaceAll(lk, "-", "_") == k {
			d = 0
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len(key) <= 3 {
		limit = 1
	}
	if bestD <= limit || (len(key) >= 4 && strings.HasPrefix(best, lk)) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance (bounded inputs: keys).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
