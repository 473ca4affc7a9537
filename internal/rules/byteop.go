package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// byteOp is byte_test or byte_jump.
type byteOp struct {
	jump      bool
	nbytes    int
	op        byte // byte_test: '<' '>' '=' '&' '^' 'l' (<=) 'g' (>=)
	not       bool
	value     uint64
	offset    int
	relative  bool
	little    bool
	str       bool
	base      int
	mask      uint64
	hasMask   bool
	mult      uint64
	align     bool
	fromBegin bool
	fromEnd   bool
	post      int
}

// parseByteOp parses byte_test:N,OP,VALUE,OFFSET[,opts] and
// byte_jump:N,OFFSET[,opts].
func parseByteOp(key, v string) (*byteOp, error) {
	parts := splitComma(v)
	b := &byteOp{jump: key == "byte_jump", mult: 1, base: 10}
	need := 4
	if b.jump {
		need = 2
	}
	if len(parts) < need {
		return nil, fmt.Errorf("%s %q: too few arguments", key, v)
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%s %q: bad byte count", key, v)
	}
	b.nbytes = n
	num := func(s string) (int, error) {
		x, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("%s %q: %q is not a number (byte_extract variables are not supported)", key, v, s)
		}
		if x > 65535 || x < -65535 {
			return 0, fmt.Errorf("%s %q: %d out of range", key, v, x)
		}
		return x, nil
	}
	rest := parts[need:]
	if b.jump {
		if b.offset, err = num(parts[1]); err != nil {
			return nil, err
		}
	} else {
		op := parts[1]
		if strings.HasPrefix(op, "!") {
			b.not = true
			op = op[1:]
		}
		switch op {
		case "<", ">", "=", "&", "^":
			b.op = op[0]
		case "<=":
			b.op = 'l'
		case ">=":
			b.op = 'g'
		default:
			return nil, fmt.Errorf("byte_test operator %q not supported", parts[1])
		}
		val, err := strconv.ParseUint(parts[2], 0, 64)
		if err != nil {
			return nil, fmt.Errorf("byte_test value %q: not a number (byte_extract variables are not supported)", parts[2])
		}
		b.value = val
		if b.offset, err = num(parts[3]); err != nil {
			return nil, err
		}
	}
	for i := 0; i < len(rest); i++ {
		f := strings.Fields(rest[i])
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "relative":
			b.relative = true
		case "big":
		case "little":
			b.little = true
		case "string":
			b.str = true
		case "hex":
			b.base = 16
		case "dec":
			b.base = 10
		case "oct":
			b.base = 8
		case "align":
			b.align = true
		case "from_beginning":
			b.fromBegin = true
		case "from_end":
			b.fromEnd = true
		case "dce":
			return nil, fmt.Errorf("%s dce not supported", key)
		case "multiplier", "post_offset", "bitmask":
			if len(f) != 2 {
				return nil, fmt.Errorf("%s %s: want a value", key, f[0])
			}
			x, err := strconv.ParseInt(f[1], 0, 64)
			if err != nil {
				return nil, fmt.Errorf("%s %s %q: not a number", key, f[0], f[1])
			}
			switch f[0] {
			case "multiplier":
				if x < 1 || x > 65535 {
					return nil, fmt.Errorf("%s multiplier %d out of range", key, x)
				}
				b.mult = uint64(x)
			case "post_offset":
				if x > 65535 || x < -65535 {
					return nil, fmt.Errorf("%s post_offset %d out of range", key, x)
				}
				b.post = int(x)
			case "bitmask":
				b.mask, b.hasMask = uint64(x), true
			}
		default:
			return nil, fmt.Errorf("%s option %q not supported", key, rest[i])
		}
	}
	if b.str {
		if b.nbytes > 20 {
			return nil, fmt.Errorf("%s: string conversion of more than 20 bytes", key)
		}
	} else if b.nbytes > 8 {
		return nil, fmt.Errorf("%s: more than 8 bytes", key)
	}
	if b.jump && b.op != 0 {
		return nil, errors.New("byte_jump has no operator")
	}
	return b, nil
}

// extract reads the value at buf[pos:pos+nbytes]; ok is false when the bytes
// are missing or the string does not convert.
func (b *byteOp) extract(buf []byte, pos int) (uint64, bool) {
	if pos < 0 || pos+b.nbytes > len(buf) {
		return 0, false
	}
	d := buf[pos : pos+b.nbytes]
	var v uint64
	if b.str {
		if len(d) == 0 {
			return 0, false
		}
		for _, c := range d {
			x := hexVal(c)
			if x < 0 || x >= b.base {
				return 0, false
			}
			v = v*uint64(b.base) + uint64(x)
		}
	} else if b.little {
		for i := len(d) - 1; i >= 0; i-- {
			v = v<<8 | uint64(d[i])
		}
	} else {
		for _, c := range d {
			v = v<<8 | uint64(c)
		}
	}
	if b.hasMask {
		v &= b.mask
		if b.mask != 0 {
			for m := b.mask; m&1 == 0; m >>= 1 {
				v >>= 1
			}
		}
	}
	return v, true
}

// test applies byte_test's comparison.
func (b *byteOp) test(v uint64) bool {
	var r bool
	switch b.op {
	case '<':
		r = v < b.value
	case '>':
		r = v > b.value
	case '=':
		r = v == b.value
	case '&':
		r = v&b.value != 0
	case '^':
		r = v^b.value != 0
	case 'l':
		r = v <= b.value
	case 'g':
		r = v >= b.value
	}
	return r != b.not
}
