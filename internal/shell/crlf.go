package shell

// CRLF returns b with every LF not preceded by CR sent as CR LF, as a
// terminal's output processing (onlcr) does: what the shell prints is
// written this way to telnet clients and SSH clients with a pty.
func CRLF(b []byte) []byte {
	n := 0
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+n)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}
