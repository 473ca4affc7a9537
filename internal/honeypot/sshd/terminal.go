package sshd

// lineEvent is what one input byte completed.
type lineEvent int

const (
	evNone      lineEvent = iota
	evLine                // a line is complete (lineEditor.take returns it)
	evInterrupt           // Ctrl-C: the line was discarded
	evEOF                 // Ctrl-D on an empty line
	evOverflow            // the line passed the length limit
)

// Escape-sequence states of the editor.
const (
	escNone = iota
	escStart
	escCSI
)

// lineEditor is the line discipline of an interactive session: it collects
// a line, erases with backspace and Ctrl-U, skips cursor-key escape
// sequences, treats CR, LF, CR LF and CR NUL as one line end, and, on a
// pty, echoes what it keeps. Lines are bounded by max bytes.
type lineEditor struct {
	echo  bool
	max   int
	line  []byte
	esc   int
	sawCR bool
}

// put processes one input byte, appending any echo to out.
func (e *lineEditor) put(c byte, out []byte) ([]byte, lineEvent) {
	if e.sawCR {
		e.sawCR = false
		if c == '\n' || c == 0 {
			return out, evNone
		}
	}
	switch e.esc {
	case escStart:
		e.esc = escNone
		if c == '[' || c == 'O' {
			e.esc = escCSI
		}
		return out, evNone
	case escCSI:
		if c >= 0x40 && c <= 0x7e {
			e.esc = escNone
		}
		return out, evNone
	}
	switch {
	case c == '\r' || c == '\n':
		e.sawCR = c == '\r'
		if e.echo {
			out = append(out, '\r', '\n')
		}
		return out, evLine
	case c == 0x7f || c == 0x08:
		if len(e.line) > 0 {
			// Remove one UTF-8 character: its continuation bytes and its lead.
			i := len(e.line) - 1
			for i > 0 && e.line[i]&0xc0 == 0x80 {
				i--
			}
			e.line = e.line[:i]
			if e.echo {
				out = append(out, '\b', ' ', '\b')
			}
		}
		return out, evNone
	case c == 0x03:
		e.line = e.line[:0]
		if e.echo {
			out = append(out, '^', 'C', '\r', '\n')
		}
		return out, evInterrupt
	case c == 0x04:
		if len(e.line) == 0 {
			return out, evEOF
		}
		return out, evNone
	case c == 0x15:
		if e.echo {
			for range e.line {
				out = append(out, '\b', ' ', '\b')
			}
		}
		e.line = e.line[:0]
		return out, evNone
	case c == 0x1b:
		e.esc = escStart
		return out, evNone
	case c < 0x20 && c != '\t':
		return out, evNone
	}
	if e.max > 0 && len(e.line) >= e.max {
		e.line = append(e.line, c)
		return out, evOverflow
	}
	e.line = append(e.line, c)
	if e.echo {
		out = append(out, c)
	}
	return out, evNone
}

// take returns the collected line and starts a new one.
func (e *lineEditor) take() string {
	s := string(e.line)
	e.line = e.line[:0]
	return s
}
