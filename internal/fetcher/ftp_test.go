package fetcher

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// ftpServer is a passive-mode FTP server for tests on loopback. epsv says
// whether it answers EPSV; pasvHost is the address its PASV answers name
// (the client must ignore it and use the control connection's).
func ftpServer(t *testing.T, files map[string][]byte, epsv bool, pasvHost string) string {
	t.Helper()
	return rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		say := func(s string) { fmt.Fprint(c, s+"\r\n") }
		say("220-test server\r\n220 ready")
		var data net.Listener
		defer func() {
			if data != nil {
				data.Close()
			}
		}()
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			switch verb {
			case "USER":
				say("331 password please")
			case "PASS":
				say("230 in")
			case "TYPE":
				say("200 binary")
			case "EPSV", "PASV":
				if verb == "EPSV" && !epsv {
					say("502 no")
					continue
				}
				data, err = net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					return
				}
				port := data.Addr().(*net.TCPAddr).Port
				if verb == "EPSV" {
					say(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
				} else {
					say(fmt.Sprintf("227 Entering Passive Mode (%s,%d,%d).", strings.ReplaceAll(pasvHost, ".", ","), port>>8, port&255))
				}
			case "RETR":
				content, ok := files[arg]
				if !ok || data == nil {
					say("550 no such file")
					continue
				}
				say("150 here it comes")
				dc, err := data.Accept()
				if err != nil {
					return
				}
				dc.Write(content)
				dc.Close()
				say("226 done")
			case "QUIT":
				say("221 bye")
				return
			default:
				say("500 what")
			}
		}
	})
}

func TestFTP(t *testing.T) {
	content := bytes.Repeat([]byte("ftp content "), 3000)
	files := map[string][]byte{"/bins/x.mips": content}
	cl := newTestClient(t, testConfig())
	ctx := context.Background()
	for _, c := range []struct {
		name string
		epsv bool
		host string
	}{{"epsv", true, ""}, {"pasv", false, "127.0.0.1"}, {"pasv naming a private host", false, "10.9.8.7"}} {
		addr := ftpServer(t, files, c.epsv, c.host)
		r := cl.Fetch(ctx, "ftp://"+addr+"/bins/x.mips")
		if r.Err != nil {
			t.Errorf("%s: %v", c.name, r.Err)
			continue
		}
		if !bytes.Equal(r.Content, content) || r.Status != 226 || !strings.Contains(r.Headers, "220 ready") || !strings.HasPrefix(r.Server, "127.0.0.1:") {
			t.Errorf("%s: %d bytes, status %d, headers %q, server %q", c.name, len(r.Content), r.Status, r.Headers, r.Server)
		}
		r = cl.Fetch(ctx, "ftp://"+addr+"/missing")
		if !errors.Is(r.Err, ErrStatus) || r.Status != 550 || r.Content != nil {
			t.Errorf("%s missing: status %d err %v", c.name, r.Status, r.Err)
		}
	}
	small := testConfig()
	small.MaxBytes = 1000
	addr := ftpServer(t, files, true, "")
	if r := newTestClient(t, small).Fetch(ctx, "ftp://"+addr+"/bins/x.mips"); !errors.Is(r.Err, ErrTooLarge) || r.Content != nil {
		t.Errorf("over the limit: %v", r.Err)
	}
	// A server whose reply never ends is cut off.
	flood := rawServer(t, func(c net.Conn) {
		fmt.Fprint(c, "220-")
		for {
			if _, err := fmt.Fprint(c, "220-more\r\n"); err != nil {
				return
			}
		}
	})
	if r := cl.Fetch(ctx, "ftp://"+flood+"/x"); !errors.Is(r.Err, ErrProtocol) {
		t.Errorf("endless greeting: %v", r.Err)
	}
}

func FuzzFTPReply(f *testing.F) {
	f.Add("220 ready\r\n")
	f.Add("220-a\r\nb\r\n220 c\r\n")
	f.Add("227 Entering Passive Mode (127,0,0,1,4,1)\r\n")
	f.Add("229 Entering Extended Passive Mode (|||6446|)\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		rep, err := readFTPReply(bufio.NewReader(strings.NewReader(s)))
		if err == nil && (rep.code < 100 || rep.code > 599) {
			t.Fatalf("code %d", rep.code)
		}
		parsePASV(s)
		parseEPSV(s)
		parseURL(s)
	})
}
