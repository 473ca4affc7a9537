package telnet

import (
	"errors"
	"strconv"
	"strings"
)

// Telnet protocol bytes (RFC 854, 855).
const (
	cmdSE   = 240
	cmdSB   = 250
	cmdWILL = 251
	cmdWONT = 252
	cmdDO   = 253
	cmdDONT = 254
	cmdIAC  = 255
)

// Options the server negotiates.
const (
	optEcho  = 1
	optSGA   = 3
	optTType = 24
	optNAWS  = 31
)

// Negotiation is what the server sends on connect, as BusyBox telnetd does:
// DO ECHO, DO NAWS, WILL ECHO, WILL SUPPRESS-GO-AHEAD.
var Negotiation = []byte{
	cmdIAC, cmdDO, optEcho,
	cmdIAC, cmdDO, optNAWS,
	cmdIAC, cmdWILL, optEcho,
	cmdIAC, cmdWILL, optSGA,
}

// Bounds of the parser.
const (
	maxOptions = 64   // options recorded per session
	maxSB      = 4096 // subnegotiation bytes before it is abandoned
)

// ErrLine is returned when a line is longer than the parser's limit.
var ErrLine = errors.New("telnet: line too long")

type parseState uint8

const (
	stData parseState = iota
	stIAC
	stOpt
	stSBOpt
	stSB
	stSBIAC
)

// Parser turns the client's byte stream into lines: it strips every IAC
// sequence (commands, option negotiation, subnegotiation; IAC IAC is a
// literal 255), records the options the client sends, ends lines at CR, LF,
// CR LF or CR NUL, and applies backspace (BS, DEL). Every buffer is bounded.
// The zero Parser has no line limit; set Max.
type Parser struct {
	Max  int  // longest line (0: no limit)
	Echo bool // collect an echo of the input (see TakeEcho)

	state   parseState
	verb    byte
	sbLen   int
	afterCR bool
	line    []byte
	echo    []byte
	opts    []string
	nOpts   int
	changed bool
}

// Feed consumes bytes from b until a line is complete or b is used up. It
// returns the number of bytes consumed and, when done, the line (valid until
// the next Feed). err is ErrLine when the line passed Max.
func (p *Parser) Feed(b []byte) (n int, line []byte, done bool, err error) {
	for n < len(b) {
		c := b[n]
		n++
		switch p.state {
		case stData:
			switch {
			case c == cmdIAC:
				p.state = stIAC
			case c == '\r':
				p.afterCR = true
				return n, p.endLine(), true, nil
			case c == '\n' || c == 0:
				if p.afterCR {
					p.afterCR = false
					continue
				}
				if c == 0 {
					continue
				}
				return n, p.endLine(), true, nil
			case c == 8 || c == 127:
				p.afterCR = false
				if len(p.line) > 0 {
					p.line = p.line[:len(p.line)-1]
					p.addEcho("\b \b")
				}
			default:
				p.afterCR = false
				if err := p.add(c); err != nil {
					return n, nil, false, err
				}
			}
		case stIAC:
			switch {
			case c == cmdIAC:
				p.state = stData
				p.afterCR = false
				if err := p.add(c); err != nil {
					return n, nil, false, err
				}
			case c >= cmdWILL:
				p.verb = c
				p.state = stOpt
			case c == cmdSB:
				p.state = stSBOpt
			default: // NOP, GA, IP, AYT, ...: no option
				p.state = stData
			}
		case stOpt:
			p.record(verbName(p.verb) + " " + strconv.Itoa(int(c)))
			p.state = stData
		case stSBOpt:
			p.record("SB " + strconv.Itoa(int(c)))
			p.sbLen = 0
			p.state = stSB
		case stSB:
			if c == cmdIAC {
				p.state = stSBIAC
				continue
			}
			p.sbLen++
			if p.sbLen > maxSB {
				p.state = stData // never ended: give up on it
			}
		case stSBIAC:
			switch c {
			case cmdSE:
				p.state = stData
			case cmdIAC:
				p.state = stSB
			default: // a command inside SB ends it
				p.state = stData
			}
		}
	}
	return n, nil, false, nil
}

func (p *Parser) add(c byte) error {
	if p.Max > 0 && len(p.line) >= p.Max {
		return ErrLine
	}
	p.line = append(p.line, c)
	if p.Echo && c >= 0x20 && c < 0x7f {
		p.echo = append(p.echo, c)
	}
	return nil
}

func (p *Parser) addEcho(s string) {
	if p.Echo {
		p.echo = append(p.echo, s...)
	}
}

func (p *Parser) endLine() []byte {
	p.addEcho("\r\n")
	l := p.line
	p.line = p.line[:0]
	return l
}

func (p *Parser) record(opt string) {
	if p.nOpts >= maxOptions {
		return
	}
	p.nOpts++
	p.opts = append(p.opts, opt)
	p.changed = true
}

// TakeEcho returns the echo collected since the last call (nil when none).
func (p *Parser) TakeEcho() []byte {
	if len(p.echo) == 0 {
		return nil
	}
	e := p.echo
	p.echo = nil
	return e
}

// Options returns the options the client sent, in order, joined by commas
// ("DO 1,WILL 31,SB 31"), and whether they changed since the last call.
func (p *Parser) Options() (string, bool) {
	ch := p.changed
	p.changed = false
	return strings.Join(p.opts, ","), ch
}

func verbName(v byte) string {
	switch v {
	case cmdWILL:
		return "WILL"
	case cmdWONT:
		return "WONT"
	case cmdDO:
		return "DO"
	}
	return "DONT"
}
