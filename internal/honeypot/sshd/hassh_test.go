package sshd

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// kexInitPacket builds a client's first binary packet: an unencrypted
// SSH_MSG_KEXINIT with the ten name-lists, padded as RFC 4253 asks.
func kexInitPacket(lists [10]string) []byte {
	var payload []byte
	payload = append(payload, msgKexInit)
	payload = append(payload, bytes.Repeat([]byte{0xab}, 16)...) // cookie
	for _, l := range lists {
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(l)))
		payload = append(payload, l...)
	}
	payload = append(payload, 0)          // first_kex_packet_follows
	payload = append(payload, 0, 0, 0, 0) // reserved
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	var p []byte
	p = binary.BigEndian.AppendUint32(p, uint32(1+len(payload)+pad))
	p = append(p, byte(pad))
	p = append(p, payload...)
	return append(p, make([]byte, pad)...)
}

// An OpenSSH 8.9-like offer.
var openSSHLists = [10]string{
	"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c",
	"ssh-ed25519-cert-v01@openssh.com,ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com,aes256-ctr",
	"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
	"hmac-sha1",
	"none,zlib@openssh.com,zlib",
	"none",
	"",
	"",
}

func TestParseHello(t *testing.T) {
	wantAlgos := openSSHLists[0] + ";" + openSSHLists[2] + ";" + openSSHLists[4] + ";" + openSSHLists[6]
	sum := md5.Sum([]byte(wantAlgos))
	pkt := kexInitPacket(openSSHLists)
	full := append([]byte("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n"), pkt...)
	for _, tc := range []struct {
		name    string
		in      []byte
		status  HelloStatus
		version string
	}{
		{"full", full, HelloDone, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1"},
		{"lf only", append([]byte("SSH-2.0-libssh_0.9.6\n"), pkt...), HelloDone, "SSH-2.0-libssh_0.9.6"},
		{"lines before", append([]byte("hello\r\nworld\nSSH-2.0-Go\r\n"), pkt...), HelloDone, "SSH-2.0-Go"},
		{"trailing bytes", append(append([]byte{}, full...), 1, 2, 3), HelloDone, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1"},
		{"half packet", full[:len(full)-10], HelloMore, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1"},
		{"version only", []byte("SSH-2.0-x\r\n"), HelloMore, "SSH-2.0-x"},
		{"partial version", []byte("SSH-2.0-x"), HelloMore, ""},
		{"not kexinit", append([]byte("SSH-2.0-x\r\n"), 0, 0, 0, 28, 4, 21, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), HelloVersion, "SSH-2.0-x"},
		{"huge packet", append([]byte("SSH-2.0-x\r\n"), 0x7f, 0xff, 0xff, 0xff, 4), HelloVersion, "SSH-2.0-x"},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), HelloMore, ""},
		{"long line", bytes.Repeat([]byte("A"), 300), HelloInvalid, ""},
		{"many lines", bytes.Repeat([]byte("a\n"), 40), HelloInvalid, ""},
		{"control bytes", append([]byte("SSH-2.0-a\x01b\xff\r\n"), pkt...), HelloDone, "SSH-2.0-a?b?"},
	} {
		h, st := ParseHello(tc.in)
		if st != tc.status || h.Version != tc.version {
			t.Errorf("%s: status %d version %q, want %d %q", tc.name, st, h.Version, tc.status, tc.version)
		}
		if st == HelloDone {
			if h.Algos() != wantAlgos || h.HASSH() != hex.EncodeToString(sum[:]) || h.HostKey != openSSHLists[1] {
				t.Errorf("%s: algos %q hassh %s", tc.name, h.Algos(), h.HASSH())
			}
		}
	}
	// Every proper prefix of a complete hello asks for more.
	for i := range full {
		if _, st := ParseHello(full[:i]); st != HelloMore {
			t.Fatalf("prefix %d: status %d", i, st)
		}
	}
	// A list length running past the packet is invalid, not a panic.
	bad := append([]byte{}, full...)
	off := len("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n") + 5 + 1 + 16
	binary.BigEndian.PutUint32(bad[off:], 1<<30)
	if _, st := ParseHello(bad); st != HelloVersion {
		t.Errorf("bad list length: status %d", st)
	}
}

func FuzzParseHello(f *testing.F) {
	f.Add(append([]byte("SSH-2.0-OpenSSH_8.9\r\n"), kexInitPacket(openSSHLists)...))
	f.Add([]byte("SSH-2.0-x\r\n\x00\x00\x00\x0c\x04\x14"))
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, st := ParseHello(b)
		switch st {
		case HelloDone, HelloVersion:
			if len(h.Version) < 4 || h.Version[:4] != "SSH-" {
				t.Fatalf("status %d with version %q", st, h.Version)
			}
			// More bytes do not change a decided answer.
			h2, st2 := ParseHello(append(append([]byte{}, b...), 0, 1, 2))
			if st2 != st || h2 != h {
				t.Fatalf("appending changed %d %+v to %d %+v", st, h, st2, h2)
			}
		case HelloMore, HelloInvalid:
		default:
			t.Fatalf("status %d", st)
		}
	})
}
