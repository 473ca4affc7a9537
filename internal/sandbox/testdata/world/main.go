// Command world is a sandbox test program: it resolves fixture names,
// opens a connection to a "C2" and prints what it answers, sends a UDP
// datagram, sends raw TCP SYNs whose sequence number is their destination
// address from one fixed source port (as Mirai does), and drops a file.
package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

const srcPort = 41337

func main() {
	for _, name := range []string{"fixture-one.example", "fixture-two.example.net"} {
		addrs, err := net.LookupHost(name)
		fmt.Printf("lookup %s %v %v\n", name, addrs, err)
	}
	if c, err := net.DialTimeout("tcp", "c2.fixture.example:6667", 5*time.Second); err == nil {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "HELLO bot\n")
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		fmt.Printf("c2 answered %q\n", buf[:n])
		c.Close()
	} else {
		fmt.Println("c2", err)
	}
	if u, err := net.Dial("udp", "203.0.113.77:9999"); err == nil {
		u.Write([]byte("udp-ping"))
		u.Close()
	}
	if err := os.WriteFile("/tmp/dropped.bin", []byte("x"), 0o644); err != nil {
		fmt.Println("drop", err)
	}
	src := localAddr()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_TCP)
	if err != nil {
		fmt.Println("raw", err)
		return
	}
	for i := 1; i <= 20; i++ {
		for _, port := range []uint16{23, 2323} {
			dst := [4]byte{203, 0, 113, byte(i)}
			seg := syn(src, dst, srcPort, port, binary.BigEndian.Uint32(dst[:]))
			if err := syscall.Sendto(fd, seg, 0, &syscall.SockaddrInet4{Addr: dst}); err != nil {
				fmt.Println("sendto", err)
			}
		}
	}
	fmt.Println("syns sent")
	time.Sleep(200 * time.Millisecond)
}

// localAddr is the address the kernel picks for an outgoing packet.
func localAddr() [4]byte {
	c, err := net.Dial("udp", "198.51.100.1:9")
	if err != nil {
		return [4]byte{}
	}
	defer c.Close()
	return [4]byte(c.LocalAddr().(*net.UDPAddr).IP.To4())
}

func syn(src, dst [4]byte, sport, dport uint16, seq uint32) []byte {
	t := make([]byte, 20)
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	t[12] = 5 << 4
	t[13] = 0x02
	binary.BigEndian.PutUint16(t[14:], 14600)
	var sum uint32
	ph := append(append(append([]byte{}, src[:]...), dst[:]...), 0, 6, 0, 20)
	for _, b := range [][]byte{ph, t} {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(t[16:], ^uint16(sum))
	return t
}
