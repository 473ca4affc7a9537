package rules

import (
	"errors"
	"strings"
)

// Limits on rule text. A rule beyond them is reported unsupported (the reason
// names the limit); they keep a hostile or broken rule file from costing more
// than a bounded amount of memory and time.
const (
	MaxRuleLen     = 64 << 10 // bytes in one rule (after joining continued lines)
	MaxOptions     = 256      // options in one rule
	MaxContentLen  = 4096     // bytes of one content pattern after decoding
	MaxPcreLen     = 8192     // bytes of one pcre pattern
	MaxElements    = 128      // content, pcre, byte_* ... keywords in one rule
	maxVarDepth    = 16       // nesting of $VAR references
	maxGroupItems  = 1024     // items in one address or port group after expansion
	maxGroupDepth  = 8        // nesting of [ ] in address and port groups
	maxFlowbitName = 256      // bytes of a flowbit name
	maxFlowbits    = 512      // distinct flowbit names in one set
)

// option is one "keyword[:value]" of a rule's option list, value unquoted
// only in the sense that surrounding spaces are trimmed; quoted values keep
// their quotes for the keyword's parser to handle.
type option struct {
	key, val string
	hasVal   bool
}

var errUnterminated = errors.New("option list: unterminated quoted string")

// splitOptions splits the text between the rule's parentheses into options.
// Options end at a ';' that is neither escaped (\;) nor inside double quotes.
func splitOptions(s string) ([]option, error) {
	var opts []option
	for len(strings.TrimSpace(s)) > 0 {
		if len(opts) >= MaxOptions {
			return nil, errors.New("more than 256 options")
		}
		i, inq := 0, false
		end := -1
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s):
				i += 2
				continue
			case c == '"':
				inq = !inq
			case c == ';' && !inq:
				end = i
			}
			if end >= 0 {
				break
			}
			i++
		}
		if end < 0 {
			if inq {
				return nil, errUnterminated
			}
			return nil, errors.New("option list: last option has no ';'")
		}
		part := strings.TrimSpace(s[:end])
		s = s[end+1:]
		if part == "" {
			continue
		}
		var o option
		if k := strings.IndexByte(part, ':'); k >= 0 {
			o.key = strings.TrimSpace(part[:k])
			o.val = strings.TrimSpace(part[k+1:])
			o.hasVal = true
		} else {
			o.key = part
		}
		o.key = strings.ToLower(o.key)
		opts = append(opts, o)
	}
	return opts, nil
}

// unquote removes the surrounding double quotes of a value (when present)
// and resolves the escapes Suricata allows in option values: \" \; \\ and
// \: . Other backslashes are kept as written (pcre needs them).
func unquote(v string) (string, error) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	} else if strings.HasPrefix(v, `"`) {
		return "", errors.New("unterminated quoted value")
	}
	if !strings.ContainsRune(v, '\\') {
		return v, nil
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			switch v[i+1] {
			case '"', ';', '\\', ':':
				b.WriteByte(v[i+1])
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// unquotePcre removes the quotes of a pcre value and resolves only \" and
// \; (the escapes the option syntax needs); a backslash before anything else
// belongs to the regular expression.
func unquotePcre(v string) (string, error) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	} else {
		return "", errors.New("pcre: value must be in double quotes")
	}
	if !strings.Contains(v, `\"`) && !strings.Contains(v, `\;`) {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == ';') {
			b.WriteByte(v[i+1])
			i++
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String(), nil
}

// splitComma splits a keyword argument list on commas and trims each part.
func splitComma(v string) []string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
