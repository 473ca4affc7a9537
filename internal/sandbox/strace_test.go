package sandbox

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

const straceLog = `7989 openat(AT_FDCWD,"/etc/resolv.conf",O_RDONLY|O_LARGEFILE|O_CLOEXEC) = 3
7989 openat(AT_FDCWD,"/tmp/dropped.bin",O_RDWR|O_CREAT|O_LARGEFILE|O_TRUNC|O_CLOEXEC,0666) = 5
7989 open("/missing",O_RDONLY) = -1 errno=2 (No such file or directory)
7989 nanosleep(4349800,0,6319,10000,738425335,10000)7989 socket(PF_INET,SOCK_RAW,IPPROTO_TCP) = 5
7989 clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM,child_stack=0x00425ff0) = 7994
7989 clone(child_stack=0,flags=SIGCHLD) = 12
12 fork() = 13
13 rename("/tmp/a","/tmp/.b") = 0
13 unlink("/sample") = 0
13 execve("/bin/busybox",{"/bin/busybox","wget",NULL}) = -1 errno=2 (No such file or directory)
13 kill(-1,SIGKILL) = -1 errno=1 (Operation not permitted)
13 mkdir("/tmp/.x\x01",0777) = 0
20 clone(0x11,child_stack=0x00000000,parent_tidptr=0x00000000)7989 rt_sigreturn(0,23,23,1,0,0) = -1 errno=513 (Successful exit from sigreturn)
7989 clock_gettime(CLOCK_MONOTONIC,0x00425f68) = 0 ({tv_sec = 1074,tv_nsec = 311967013 clone(0x11,child_stack=0x00000000) = 0
7989 clock_gettime(CLOCK_MONOTONIC,0x00425f68) = 0 ({tv_sec = 1074,tv_nsec = 31196701234567890 getpid() = 4
7989 nanosleep(4308840,0,281,20,1368088907,20)20  = 0
clone(0x11,child_stack=0x00000000,parent_tidptr=0x00000000,tls=0x00000000,child_tidptr=0x00000000) = 22
Unknown syscall 422
garbage line ( = 
`

func TestParseStrace(t *testing.T) {
	s := ParseStrace([]byte(straceLog))
	want := Syscalls{
		Opened:    []string{"/etc/resolv.conf"},
		Created:   []string{"/tmp/dropped.bin", "/tmp/.b", "/tmp/.x\\x01"},
		Deleted:   []string{"/tmp/a", "/sample"},
		Executed:  []string{"/bin/busybox"},
		Forks:     5,
		Sockets:   []string{"PF_INET,SOCK_RAW,IPPROTO_TCP"},
		Killed:    []string{"-1,SIGKILL"},
		Processes: []int{12, 13, 20, 7989},
		Calls:     21,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
}

func TestParseStraceBounds(t *testing.T) {
	var b strings.Builder
	for i := range 3 * MaxListed {
		b.WriteString("1 openat(AT_FDCWD,\"/f")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("y", i/26))
		b.WriteString("\",O_RDONLY) = 3\n")
	}
	b.WriteString("1 openat(AT_FDCWD,\"" + strings.Repeat("z", 2*maxLine) + "\",O_RDONLY) = 3\n")
	s := ParseStrace([]byte(b.String()))
	if len(s.Opened) != MaxListed {
		t.Errorf("%d files opened kept, want the bound %d", len(s.Opened), MaxListed)
	}
}

func FuzzParseStrace(f *testing.F) {
	f.Add([]byte(straceLog))
	f.Add([]byte("1 rename(\"a\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := ParseStrace(b)
		for _, l := range [][]string{s.Opened, s.Created, s.Deleted, s.Executed, s.Sockets, s.Killed} {
			if len(l) > MaxListed {
				t.Fatalf("%d entries", len(l))
			}
			for _, v := range l {
				if !utf8.ValidString(v) || strings.ContainsAny(v, "\n\r\x00") {
					t.Fatalf("unsanitised %q", v)
				}
			}
		}
	})
}

// TestParseStraceTornFork: a fork whose entry another process's write tore
// apart still counts, from the processes the log shows.
func TestParseStraceTornFork(t *testing.T) {
	log := "14 clone(0x11,child_stack=0x00000000,parent_tidptr=0x00000000) =  = 20\n" +
		"20  ({tv_sec = 1396,tv_nsec = 762497051})clone(\n" +
		"0x11,child_stack=0x00000000) = 22\n" +
		"20 setsid() = 20\n" +
		"22 nanosleep(4442008,0,0,0,0,0) = 0\n"
	s := ParseStrace([]byte(log))
	if s.Forks != 2 || !reflect.DeepEqual(s.Processes, []int{14, 20, 22}) {
		t.Errorf("forks %d, processes %v; want 2 and [14 20 22]", s.Forks, s.Processes)
	}
}
