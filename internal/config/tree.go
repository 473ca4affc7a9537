package config

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// The two file formats are first read into one tree of nodes that carry
// their line, so that decoding, unknown keys and validation speak of keys
// and lines the same way whatever the format.

type nodeKind int

const (
	nullNode nodeKind = iota
	scalarNode
	listNode
	mapNode
)

// Scalar tags (YAML's resolved tags; TOML values are given the same).
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagTime  = "!!timestamp"
)

type node struct {
	kind   nodeKind
	line   int
	tag    string // scalars
	value  string // scalars: the text as written (YAML) or formatted (TOML)
	items  []*node
	fields []field
}

type field struct {
	key  string
	line int
	val  *node
}

// maxNodes bounds the tree: YAML aliases can make a small file a huge tree.
const maxNodes = 100000

var errTooBig = errors.New("too many values (YAML aliases expanding without end?)")

// parseYAML reads a YAML document into a tree (nil for an empty file).
func parseYAML(data []byte) (*node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, tabHint(yamlError(err), data)
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, &Problem{Line: more.Line, Msg: "a second YAML document (---): a config file holds one"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	count := 0
	return fromYAML(doc.Content[0], &count, 0)
}

// tabHint says so when the line of a YAML syntax error is indented with a tab.
func tabHint(err error, data []byte) error {
	var p *Problem
	if !errors.As(err, &p) || p.Line < 1 {
		return err
	}
	lines := strings.SplitN(string(data), "\n", p.Line+1)
	if p.Line <= len(lines) && leadingTab(lines[p.Line-1]) && !strings.Contains(p.Msg, "tab") {
		p.Msg += " (a tab: YAML indents with spaces)"
	}
	return p
}

func leadingTab(line string) bool {
	indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
	return strings.Contains(indent, "\t")
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError turns a yaml.v3 syntax error into a Problem with its line.
func yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Problem{Line: line, Msg: m[2]}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return yamlError(errors.New(te.Errors[0]))
	}
	return &Problem{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

func fromYAML(y *yaml.Node, count *int, depth int) (*node, error) {
	*count++
	if *count > maxNodes || depth > 64 {
		return nil, &Problem{Line: y.Line, Msg: errTooBig.Error()}
	}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return &node{kind: nullNode, line: y.Line}, nil
		}
		n, err := fromYAML(y.Alias, count, depth+1)
		if err != nil {
			return nil, err
		}
		c := *n
		c.line = y.Line
		return &c, nil
	case yaml.ScalarNode:
		tag := y.ShortTag()
		if tag == "!!null" {
			return &node{kind: nullNode, line: y.Line}, nil
		}
		return &node{kind: scalarNode, line: y.Line, tag: tag, value: y.Value}, nil
	case yaml.SequenceNode:
		n := &node{kind: listNode, line: y.Line}
		for _, c := range y.Content {
			v, err := fromYAML(c, count, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		return n, nil
	case yaml.MappingNode:
		n := &node{kind: mapNode, line: y.Line}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, &Problem{Line: k.Line, Msg: "a key must be a plain word, not a list or a map"}
			}
			val, err := fromYAML(v, count, depth+1)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: k.Value, line: k.Line, val: val})
		}
		return n, nil
	}
	return &node{kind: nullNode, line: y.Line}, nil
}

// parseTOML reads a TOML document into a tree. The TOML library does the
// parsing; tomlLines finds the line of every key for the messages.
func parseTOML(data []byte) (*node, error) {
	var m map[string]any
	if _, err := toml.Decode(string(data), &m); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.LastKey != "" {
				msg = pe.LastKey + ": " + msg
			}
			return nil, &Problem{Line: pe.Position.Line, Msg: msg}
		}
		return nil, &Problem{Msg: err.Error()}
	}
	lines := tomlLines(data)
	count := 0
	return fromTOML(m, "", 1, lines, &count)
}

func fromTOML(v any, path string, line int, lines map[string]int, count *int) (*node, error) {
	*count++
	if *count > maxNodes {
		return nil, &Problem{Line: line, Msg: errTooBig.Error()}
	}
	if l, ok := lines[path]; ok {
		line = l
	}
	switch v := v.(type) {
	case map[string]any:
		n := &node{kind: mapNode, line: line}
		for k, c := range v {
			p := joinKey(path, k)
			cn, err := fromTOML(c, p, line, lines, count)
			if err != nil {
				return nil, err
			}
			kl := line
			if l, ok := lines[p]; ok {
				kl = l
			}
			n.fields = append(n.fields, field{key: k, line: kl, val: cn})
		}
		sort.Slice(n.fields, func(i, j int) bool {
			a, b := n.fields[i], n.fields[j]
			if a.line != b.line {
				return a.line < b.line
			}
			return a.key < b.key
		})
		return n, nil
	case []map[string]any:
		n := &node{kind: listNode, line: line}
		for i, c := range v {
			cn, err := fromTOML(c, fmt.Sprintf("%s[%d]", path, i), line, lines, count)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, cn)
		}
		return n, nil
	case []any:
		n := &node{kind: listNode, line: line}
		for i, c := range v {
			cn, err := fromTOML(c, fmt.Sprintf("%s[%d]", path, i), line, lines, count)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, cn)
		}
		return n, nil
	case string:
		return &node{kind: scalarNode, line: line, tag: tagStr, value: v}, nil
	case int64:
		return &node{kind: scalarNode, line: line, tag: tagInt, value: strconv.FormatInt(v, 10)}, nil
	case float64:
		return &node{kind: scalarNode, line: line, tag: tagFloat, value: strconv.FormatFloat(v, 'g', -1, 64)}, nil
	case bool:
		return &node{kind: scalarNode, line: line, tag: tagBool, value: strconv.FormatBool(v)}, nil
	case time.Time:
		return &node{kind: scalarNode, line: line, tag: tagTime, value: v.Format(time.RFC3339Nano)}, nil
	default:
		return &node{kind: scalarNode, line: line, tag: tagTime, value: fmt.Sprint(v)}, nil
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
