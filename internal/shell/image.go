package shell

import (
	"io/fs"
	"strings"
	"time"
)

// imageTime is the modification time of the device image's files.
var imageTime = time.Date(2017, 3, 23, 10, 5, 44, 0, time.UTC)

// The applets /bin/busybox provides, by directory.
var (
	appletsBin = []string{
		"ash", "cat", "chgrp", "chmod", "chown", "cp", "date", "dd", "df", "dmesg", "echo", "egrep", "false",
		"fgrep", "grep", "gunzip", "gzip", "hostname", "kill", "ln", "login", "ls", "mkdir", "mknod", "mount",
		"mv", "netstat", "pidof", "ping", "ps", "pwd", "rm", "rmdir", "sed", "sh", "sleep", "stty", "su",
		"sync", "tar", "touch", "true", "umount", "uname", "vi", "zcat",
	}
	appletsSbin = []string{
		"halt", "ifconfig", "init", "insmod", "klogd", "lsmod", "poweroff", "reboot", "rmmod", "route",
		"syslogd", "udhcpc",
	}
	appletsUsrBin = []string{
		"[", "[[", "awk", "base64", "basename", "cut", "dirname", "du", "env", "expr", "free", "ftpget",
		"ftpput", "head", "id", "killall", "md5sum", "nohup", "nproc", "printf", "reset", "seq", "sort",
		"tail", "tee", "telnet", "test", "tftp", "top", "tr", "uniq", "uptime", "w", "wc", "wget", "which",
		"whoami", "xargs", "yes",
	}
	appletsUsrSbin = []string{"crond", "httpd", "ntpd", "telnetd"}
)

// mountsText is /proc/mounts: the root is a read-only squashfs, the
// writable places are tmpfs and a jffs2 partition, in the order loaders
// try them.
const mountsText = "rootfs / rootfs rw 0 0\n" +
	"/dev/root / squashfs ro,relatime 0 0\n" +
	"proc /proc proc rw,relatime 0 0\n" +
	"sysfs /sys sysfs rw,relatime 0 0\n" +
	"tmpfs /tmp tmpfs rw,relatime 0 0\n" +
	"tmpfs /var tmpfs rw,relatime,size=4096k 0 0\n" +
	"tmpfs /dev tmpfs rw,relatime,mode=755 0 0\n" +
	"devpts /dev/pts devpts rw,relatime,mode=600 0 0\n" +
	"tmpfs /dev/shm tmpfs rw,relatime 0 0\n" +
	"/dev/mtdblock4 /mnt jffs2 rw,relatime 0 0\n"

// buildImage returns the root of a fresh filesystem for s.
func (s *Shell) buildImage(missing map[string]bool) *node {
	a := s.arch
	root := &node{kind: kindDir, perm: 0o755, children: map[string]*node{}, mtime: imageTime, ro: true, sys: true, recorded: -1}
	dir := func(p string) *node {
		cur := root
		for _, name := range splitPath(p) {
			next, ok := cur.children[name]
			if !ok {
				next = &node{name: name, kind: kindDir, perm: 0o755, children: map[string]*node{}, parent: cur,
					mtime: imageTime, ro: cur.ro, virtual: cur.virtual, sys: true, recorded: -1}
				cur.children[name] = next
			}
			cur = next
		}
		return cur
	}
	add := func(d *node, n *node) {
		n.parent, n.mtime, n.ro, n.virtual, n.sys, n.recorded = d, imageTime, d.ro, d.virtual, true, -1
		if n.perm == 0 {
			n.perm = 0o644
		}
		d.children[n.name] = n
	}
	file := func(p string, perm fs.FileMode, data string) {
		d := dir(p[:strings.LastIndexByte(p, '/')])
		add(d, &node{name: p[strings.LastIndexByte(p, '/')+1:], kind: kindFile, perm: perm, data: []byte(data)})
	}
	gen := func(p string, g func() []byte) {
		d := dir(p[:strings.LastIndexByte(p, '/')])
		add(d, &node{name: p[strings.LastIndexByte(p, '/')+1:], kind: kindFile, perm: 0o444, gen: g})
	}
	link := func(p, target string) {
		d := dir(p[:strings.LastIndexByte(p, '/')])
		add(d, &node{name: p[strings.LastIndexByte(p, '/')+1:], kind: kindLink, perm: 0o777, target: target})
	}
	dev := func(name string, k devKind) {
		add(dir("/dev"), &node{name: name, kind: kindDev, perm: 0o666, dev: k})
	}

	// Mount points first, so files below them take their flags.
	for _, p := range []string{"/tmp", "/var", "/dev", "/mnt"} {
		d := dir(p)
		d.ro = false
	}
	for _, p := range []string{"/proc", "/sys", "/dev/pts"} {
		d := dir(p)
		d.ro, d.virtual = false, true
	}
	dir("/dev/shm").ro = false
	for _, p := range []string{"/var/run", "/var/tmp", "/var/log", "/var/lock", "/tmp/log"} {
		dir(p)
	}
	for _, p := range []string{"/usr/lib", "/usr/share", "/lib/modules", "/root", "/home", "/etc/init.d", "/etc/config",
		"/sys/class/net", "/sys/devices", "/sys/kernel", "/proc/net", "/proc/sys/kernel", "/proc/1"} {
		dir(p)
	}

	bb := busyboxImage(a)
	add(dir("/bin"), &node{name: "busybox", kind: kindFile, perm: 0o755, data: bb})
	for _, ap := range appletsBin {
		if !missing[ap] {
			link("/bin/"+ap, "busybox")
		}
	}
	for _, ap := range appletsSbin {
		if !missing[ap] {
			link("/sbin/"+ap, "../bin/busybox")
		}
	}
	for _, ap := range appletsUsrBin {
		if !missing[ap] {
			link("/usr/bin/"+ap, "../../bin/busybox")
		}
	}
	for _, ap := range appletsUsrSbin {
		if !missing[ap] {
			link("/usr/sbin/"+ap, "../../bin/busybox")
		}
	}
	link("/lib/ld-uClibc.so.0", "ld-uClibc-0.9.33.2.so")
	link("/lib/libc.so.0", "libuClibc-0.9.33.2.so")

	host := s.hostname
	file("/etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n"+
		"bin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\nftp:x:55:55:ftp:/home/ftp:/bin/false\n"+
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
	file("/etc/shadow", 0o600, "root:$1$OYTxWgWk$ekIWGpBEV56NnrSxrdyrm1:17248:0:99999:7:::\ndaemon:*:17248:0:99999:7:::\n"+
		"bin:*:17248:0:99999:7:::\nsys:*:17248:0:99999:7:::\nftp:*:17248:0:99999:7:::\nnobody:*:17248:0:99999:7:::\n")
	file("/etc/group", 0o644, "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nftp:x:55:\nnogroup:x:65534:\n")
	file("/etc/hostname", 0o644, host+"\n")
	file("/etc/hosts", 0o644, "127.0.0.1\tlocalhost\n127.0.1.1\t"+host+"\n")
	file("/etc/resolv.conf", 0o644, "nameserver 192.168.1.1\n")
	file("/etc/shells", 0o644, "/bin/sh\n/bin/ash\n")
	file("/etc/profile", 0o644, "export PATH=/bin:/sbin:/usr/bin:/usr/sbin\nexport PS1='\\u@\\h:\\w\\$ '\nulimit -c 0\n")
	file("/etc/inittab", 0o644, "::sysinit:/etc/init.d/rcS\n::respawn:-/bin/sh\n::restart:/sbin/init\n::ctrlaltdel:/sbin/reboot\n"+
		"::shutdown:/bin/umount -a -r\ntty1::respawn:/sbin/getty 115200 tty1\n")
	file("/etc/fstab", 0o644, "proc\t/proc\tproc\tdefaults\t0\t0\ntmpfs\t/tmp\ttmpfs\tdefaults\t0\t0\n"+
		"tmpfs\t/var\ttmpfs\tsize=4096k\t0\t0\nsysfs\t/sys\tsysfs\tdefaults\t0\t0\n")
	file("/etc/init.d/rcS", 0o755, "#!/bin/sh\nmount -a\nmkdir -p /var/run /var/log /var/tmp\n/usr/sbin/telnetd &\n/usr/sbin/httpd -h /www &\n")
	file("/etc/issue", 0o644, "Welcome to "+host+"\n")

	mem := a.memKB
	gen("/proc/mounts", func() []byte { return []byte(mountsText) })
	gen("/proc/cpuinfo", func() []byte { return []byte(a.cpuinfo) })
	gen("/proc/version", func() []byte {
		return []byte("Linux version " + a.kernel + " (root@localhost.localdomain) (gcc version " + a.gcc + ") " + a.build + "\n")
	})
	gen("/proc/meminfo", func() []byte { return []byte(meminfo(mem)) })
	gen("/proc/uptime", func() []byte {
		return []byte(itoa(int(s.uptime().Seconds())) + ".47 " + itoa(int(s.uptime().Seconds()*9/10)) + ".12\n")
	})
	gen("/proc/loadavg", func() []byte {
		return []byte("0.00 0.01 0.05 1/" + itoa(len(s.procs)+30) + " " + itoa(s.nextPID) + "\n")
	})
	gen("/proc/cmdline", func() []byte {
		return []byte("console=ttyS0,115200 root=/dev/mtdblock2 rootfstype=squashfs init=/sbin/init\n")
	})
	gen("/proc/filesystems", func() []byte {
		return []byte("nodev\tsysfs\nnodev\trootfs\nnodev\tproc\nnodev\ttmpfs\nnodev\tdevpts\n\tsquashfs\n\tjffs2\n")
	})
	gen("/proc/1/cmdline", func() []byte { return []byte("/sbin/init\x00") })
	gen("/proc/1/status", func() []byte {
		return []byte("Name:\tinit\nState:\tS (sleeping)\nPid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\n")
	})
	gen("/proc/sys/kernel/hostname", func() []byte { return []byte(s.hostname + "\n") })
	gen("/proc/net/tcp", func() []byte {
		return []byte("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
			"   0: 00000000:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2143 1 c1b0c000 300 0 0 2 -1\n" +
			"   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2151 1 c1b0c380 300 0 0 2 -1\n")
	})
	link("/proc/self", "1")
	link("/proc/1/exe", "/bin/busybox")

	dev("null", devNull)
	dev("zero", devZero)
	dev("urandom", devRandom)
	dev("random", devRandom)
	dev("tty", devTTY)
	dev("console", devTTY)
	dev("ptmx", devTTY)
	dev("watchdog", devNull)
	for i := 0; i < 6; i++ {
		dev("mtdblock"+itoa(i), devNull)
	}
	dev("ttyS0", devTTY)
	return root
}

func meminfo(totalKB int) string {
	free := totalKB * 3 / 10
	return "MemTotal:       " + pad(itoa(totalKB), 8) + " kB\n" +
		"MemFree:        " + pad(itoa(free), 8) + " kB\n" +
		"Buffers:        " + pad(itoa(totalKB/40), 8) + " kB\n" +
		"Cached:         " + pad(itoa(totalKB/6), 8) + " kB\n" +
		"SwapCached:            0 kB\nActive:         " + pad(itoa(totalKB/5), 8) + " kB\n" +
		"Inactive:       " + pad(itoa(totalKB/9), 8) + " kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n"
}

// pad right-aligns s in width w.
func pad(s string, w int) string {
	if len(s) >= w {
		return s
	}
	return strings.Repeat(" ", w-len(s)) + s
}

// padRight left-aligns s in width w.
func padRight(s string, w int) string {
	if len(s) >= w {
		return s
	}
	return s + strings.Repeat(" ", w-len(s))
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [24]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}
