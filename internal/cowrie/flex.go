package cowrie

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Cowrie's fields changed types over its versions (ports and durations as
// numbers or strings, message as a string or a list), and a log may have
// been written by anything: the reader takes what it can and ignores the
// rest instead of refusing the line.

// flexString is a JSON string; a number or bool gives its text, anything
// else "".
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case '[', '{', 'n':
		*f = ""
	default:
		*f = flexString(b)
	}
	return nil
}

// flexInt is a JSON number or a string holding one; anything else is 0.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && x >= -9e18 && x <= 9e18 {
		*f = flexInt(int64(x))
		return nil
	}
	*f = 0
	return nil
}

// flexFloat is a JSON number or a string holding one; anything else is 0.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		*f = flexFloat(x)
		return nil
	}
	*f = 0
	return nil
}

// flexBool is a JSON bool, a number (non-zero is true) or a string holding
// either.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if v, err := strconv.ParseBool(s); err == nil {
		*f = flexBool(v)
		return nil
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		*f = x != 0
		return nil
	}
	*f = false
	return nil
}

// flexList is a JSON list of strings; a string is a one-item list,
// anything else empty.
type flexList []string

func (f *flexList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		var raw []flexString
		if err := json.Unmarshal(b, &raw); err != nil {
			*f = nil
			return nil
		}
		out := make([]string, len(raw))
		for i, s := range raw {
			out[i] = string(s)
		}
		*f = out
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = []string{s}
	default:
		*f = nil
	}
	return nil
}

// flexBytes is base64 (what encoding/json writes for []byte); a string that
// is not base64 is taken as its bytes.
type flexBytes []byte

func (f *flexBytes) UnmarshalJSON(b []byte) error {
	var raw []byte
	if err := json.Unmarshal(b, &raw); err == nil {
		*f = raw
		return nil
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = []byte(s)
	return nil
}
