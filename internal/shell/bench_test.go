package shell

import (
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

// loaderScript is a Mirai loader's echo-upload session for a 32 KiB ARM
// binary, as the loader sends it to this device.
func loaderScript() []string {
	lines := []string{
		"enable", "shell", "sh", tokenQuery,
		"/bin/busybox ps; " + tokenQuery,
		"/bin/busybox cat /proc/mounts; " + tokenQuery,
		"/bin/busybox echo -e '" + verifyHex + "/tmp' > /tmp/.nippon; /bin/busybox cat /tmp/.nippon; /bin/busybox rm /tmp/.nippon",
		"/bin/busybox echo -e '" + verifyHex + "/dev' > /dev/.nippon; /bin/busybox cat /dev/.nippon; /bin/busybox rm /dev/.nippon",
		tokenQuery, "rm /tmp/.t; rm /tmp/.sh; rm /tmp/.human", "cd /tmp/",
		"/bin/busybox cp /bin/echo dvrHelper; >dvrHelper; /bin/busybox chmod 777 dvrHelper; " + tokenQuery,
		"/bin/busybox cat /bin/echo", tokenQuery, "cat /proc/cpuinfo; " + tokenQuery,
		"/bin/busybox wget; /bin/busybox tftp; " + tokenQuery,
		"/bin/busybox cp dvrHelper upnp; > upnp; /bin/busybox chmod 777 upnp; " + tokenQuery,
	}
	for i, c := range echoChunks(testELF(1, 1, 40, 0x05000200, 32<<10, 9)) {
		op := ">>"
		if i == 0 {
			op = ">"
		}
		lines = append(lines, "echo -ne '"+c+"' "+op+" upnp; "+tokenQuery)
	}
	return append(lines, "./upnp; ./dvrHelper telnet.arm; "+execQuery, "rm -rf upnp; > dvrHelper; "+tokenQuery)
}

// BenchmarkLoaderSession runs one whole echo-upload loader session per
// iteration: a new recorder and shell, 280 lines, one 32 KiB sample.
func BenchmarkLoaderSession(b *testing.B) {
	lines := loaderScript()
	lim := session.DefaultLimits()
	hub := session.NewHub(session.HubConfig{MaxPending: 16})
	b.ReportAllocs()
	for b.Loop() {
		rec := hub.Open(session.Session{Service: session.Telnet}, lim)
		sh := New(Config{Arch: "arm", Missing: []string{"wget", "tftp"}}, rec)
		for _, l := range lines {
			sh.Run(l)
		}
		sh.Close()
		rec.Close("closed")
		if sh.ExitReason() != "" || len(rec.Snapshot().Files) == 0 {
			b.Fatal("session cut or no file recorded")
		}
		hub.Drain()
	}
}
