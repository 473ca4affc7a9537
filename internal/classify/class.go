// Package classify tags decoded packets with the traffic classes honeyscope
// counts (access, mirai, zmap, masscan, backscatter, exploit). One packet may
// carry several tags. The classifier does no I/O and allocates nothing.
package classify

// Class is one traffic class. Classes are bit positions in a Tags mask.
type Class uint8

// The classes, in display order. Their exact definitions are in docs/classes.md.
const (
	Access      Class = iota // every inbound IP packet
	Mirai                    // IPv4 TCP SYN (no ACK) with seq == destination IPv4 address
	ZMap                     // IPv4 TCP SYN (no ACK) with IP ID 54321
	Masscan                  // IPv4 TCP SYN (no ACK) with IP ID == (dst ^ dport ^ seq) & 0xffff
	Backscatter              // replies to spoofed traffic: SYN-ACK, RST, echo reply, unreachable, time exceeded
	Exploit                  // payload matched an exploit pattern
	Intrusion                // a honeypot session with a successful login that ran at least one command
	NumClasses               // number of classes
)

var classNames = [NumClasses]string{"access", "mirai", "zmap", "masscan", "backscatter", "exploit", "intrusion"}

// String returns the class name used on the command line, in JSON and in the store.
func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "unknown"
}

// ParseClass returns the class with the given name.
func ParseClass(name string) (Class, bool) {
	for i, n := range classNames {
		if n == name {
			return Class(i), true
		}
	}
	return 0, false
}

// Names returns all class names in order.
func Names() []string { return append([]string(nil), classNames[:]...) }

// Tags is a set of classes, bit i set for Class i.
type Tags uint8

// Has reports whether t contains c.
func (t Tags) Has(c Class) bool { return t&(1<<c) != 0 }

// With returns t with c added.
func (t Tags) With(c Class) Tags { return t | 1<<c }

// Bit returns the mask bit of class c.
func (c Class) Bit() Tags { return 1 << c }
