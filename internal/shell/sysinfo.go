package shell

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// baseProcs are the device's own processes.
var baseProcs = []proc{
	{1, 1528, "S", "init"}, {2, 0, "SW", "[kthreadd]"}, {3, 0, "SW", "[ksoftirqd/0]"},
	{4, 0, "SW", "[kworker/0:0]"}, {5, 0, "SW<", "[kworker/0:0H]"}, {6, 0, "SW", "[kworker/u2:0]"},
	{7, 0, "SW", "[rcu_preempt]"}, {8, 0, "SW", "[rcu_bh]"}, {9, 0, "SW", "[rcu_sched]"},
	{10, 0, "SW<", "[khelper]"}, {11, 0, "SW", "[kdevtmpfs]"}, {12, 0, "SW<", "[writeback]"},
	{13, 0, "SW<", "[bioset]"}, {14, 0, "SW<", "[kblockd]"}, {15, 0, "SW", "[khubd]"},
	{16, 0, "SW<", "[rpciod]"}, {17, 0, "SW", "[kswapd0]"}, {18, 0, "SW", "[fsnotify_mark]"},
	{19, 0, "SW<", "[nfsiod]"}, {40, 0, "SW", "[mtdblock0]"}, {41, 0, "SW", "[mtdblock1]"},
	{42, 0, "SW", "[mtdblock2]"}, {43, 0, "SW", "[mtdblock3]"}, {44, 0, "SW", "[mtdblock4]"},
	{70, 0, "SWN", "[jffs2_gcd_mtd4]"}, {112, 1524, "S", "/sbin/syslogd -n"}, {115, 1524, "S", "/sbin/klogd -n"},
	{203, 1532, "S", "/usr/sbin/telnetd -l /bin/login"}, {215, 2316, "S", "/usr/sbin/httpd -h /www"},
	{233, 1524, "S", "/usr/sbin/crond"}, {260, 1536, "S", "/usr/sbin/ntpd -n -p pool.ntp.org"},
	{301, 1544, "S", "-sh"},
}

func cmdPs(c *call) int {
	s := c.s
	c.print("  PID USER       VSZ STAT COMMAND\n")
	row := func(p proc) {
		vsz := "    0"
		if p.vsz > 0 {
			vsz = pad(itoa(p.vsz), 5)
		}
		c.print(pad(itoa(p.pid), 5), " root     ", vsz, " ", padRight(p.stat, 4), " ", p.cmd, "\n")
	}
	for _, p := range baseProcs {
		row(p)
	}
	for _, p := range s.procs {
		row(p)
	}
	row(proc{s.nextPID, 1532, "R", strings.Join(c.args, " ")})
	s.nextPID++
	return 0
}

func cmdKill(c *call) int {
	s := c.s
	st := 0
	for _, a := range c.args[1:] {
		if strings.HasPrefix(a, "-") {
			if a == "-l" {
				c.print(" 1) HUP\n 2) INT\n 3) QUIT\n 9) KILL\n15) TERM\n")
				return 0
			}
			continue
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(a, "%"))
		if err != nil {
			c.errorf("sh: kill: invalid number '", a, "'")
			st = 1
			continue
		}
		found := false
		for i, p := range s.procs {
			if p.pid == pid {
				s.procs = append(s.procs[:i], s.procs[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			for _, p := range baseProcs {
				if p.pid == pid {
					found = true
				}
			}
		}
		if !found {
			c.errorf("sh: can't kill pid ", a, ": No such process")
			st = 1
		}
	}
	return st
}

func cmdKillall(c *call) int {
	s := c.s
	_, ops := opts(c.args[1:], "s")
	st := 0
	for _, name := range ops {
		found := false
		kept := s.procs[:0]
		for _, p := range s.procs {
			if strings.Contains(p.cmd, name) {
				found = true
				continue
			}
			kept = append(kept, p)
		}
		s.procs = kept
		if !found {
			if path.Base(c.args[0]) == "killall" {
				c.errorf("killall: ", name, ": no process killed")
			}
			st = 1
		}
	}
	return st
}

func cmdPidof(c *call) int {
	s := c.s
	var pids []string
	for _, name := range c.args[1:] {
		for _, p := range append(append([]proc{}, baseProcs...), s.procs...) {
			if f := strings.Fields(p.cmd); len(f) > 0 && path.Base(f[0]) == name {
				pids = append(pids, itoa(p.pid))
			}
		}
	}
	if len(pids) == 0 {
		return 1
	}
	c.print(strings.Join(pids, " "), "\n")
	return 0
}

func cmdUname(c *call) int {
	s := c.s
	a := s.arch
	flags, _ := opts(c.args[1:], "")
	fields := []struct {
		f byte
		v string
	}{
		{'s', "Linux"}, {'n', s.hostname}, {'r', a.kernel}, {'v', a.build}, {'m', a.unameM}, {'o', "GNU/Linux"},
	}
	all := has(flags, 'a')
	var out []string
	for _, f := range fields {
		if all || has(flags, f.f) {
			out = append(out, f.v)
		}
	}
	if len(flags) == 0 {
		out = []string{"Linux"}
	}
	if has(flags, 'p') || has(flags, 'i') {
		out = append(out, "unknown")
	}
	c.print(strings.Join(out, " "), "\n")
	return 0
}

func cmdId(c *call) int {
	if c.s.user == "root" {
		c.print("uid=0(root) gid=0(root) groups=0(root)\n")
	} else {
		c.print("uid=1000(", c.s.user, ") gid=1000(", c.s.user, ") groups=1000(", c.s.user, ")\n")
	}
	return 0
}

func cmdWhoami(c *call) int {
	c.print(c.s.user, "\n")
	return 0
}

func cmdNproc(c *call) int {
	c.print(itoa(c.s.arch.cores), "\n")
	return 0
}

func cmdHostname(c *call) int {
	if len(c.args) > 1 && !strings.HasPrefix(c.args[1], "-") {
		c.s.hostname = sanitizeName(c.args[1], c.s.hostname)
		return 0
	}
	c.print(c.s.hostname, "\n")
	return 0
}

func cmdFree(c *call) int {
	flags, _ := opts(c.args[1:], "")
	t := c.s.arch.memKB
	used, shared, buf := t*7/10, t/50, t/9
	unit := func(k int) string {
		switch {
		case has(flags, 'm'):
			return itoa(k / 1024)
		case has(flags, 'b'):
			return itoa(k * 1024)
		}
		return itoa(k)
	}
	c.print("             total       used       free     shared    buffers\n",
		"Mem:   ", pad(unit(t), 11), pad(unit(used), 11), pad(unit(t-used), 11), pad(unit(shared), 11), pad(unit(buf), 11), "\n",
		"-/+ buffers:", pad(unit(used-buf), 17), pad(unit(t-used+buf), 11), "\n",
		"Swap:  ", pad(unit(0), 11), pad(unit(0), 11), pad(unit(0), 11), "\n")
	return 0
}

func (s *Shell) uptimeLine() string {
	up := s.uptime()
	days := int(up.Hours()) / 24
	h := int(up.Hours()) % 24
	m := int(up.Minutes()) % 60
	return " " + s.now().Format("15:04:05") + " up " + itoa(days) + " days, " + pad(itoa(h), 2) + ":" +
		strings.Repeat("0", 2-len(itoa(m))) + itoa(m) + ",  load average: 0.00, 0.01, 0.05\n"
}

func cmdUptime(c *call) int {
	c.print(c.s.uptimeLine())
	return 0
}

func cmdW(c *call) int {
	c.print(c.s.uptimeLine(), "USER     TTY        IDLE   TIME  HOST\n",
		padRight(c.s.user, 8), " pts/0     00:00  ", c.s.now().Add(-time.Minute).Format("15:04"), "  ?\n")
	return 0
}

func cmdWhich(c *call) int {
	st := 0
	for _, a := range c.args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		p := c.s.whichPath(a)
		if p == "" {
			st = 1
			continue
		}
		c.print(p, "\n")
	}
	return st
}

func cmdDate(c *call) int {
	c.print(c.s.now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"), "\n")
	return 0
}

func cmdDf(c *call) int {
	used := int(c.s.fs.used / 1024)
	c.print("Filesystem           1K-blocks      Used Available Use% Mounted on\n",
		"/dev/root                 5632      5632         0 100% /\n",
		"tmpfs                   "+pad(itoa(c.s.arch.memKB/2), 6)+"    "+pad(itoa(used), 6)+"    "+
			pad(itoa(c.s.arch.memKB/2-used), 6)+"   "+pad(itoa(used*100/max(1, c.s.arch.memKB/2)), 2)+"% /tmp\n",
		"tmpfs                     4096        12      4084   0% /var\n",
		"tmpfs                    "+pad(itoa(c.s.arch.memKB/2), 6)+"         0    "+pad(itoa(c.s.arch.memKB/2), 6)+"   0% /dev\n",
		"/dev/mtdblock4            1024       288       736  28% /mnt\n")
	return 0
}

func cmdMount(c *call) int {
	if len(c.args) > 1 {
		c.errorf("mount: permission denied (are you root?)")
		return 1
	}
	c.print(mountsText)
	return 0
}

func cmdIfconfig(c *call) int {
	mac := "00:12:41:" + hex2(len(c.s.hostname)*7) + ":" + hex2(int(c.s.arch.machine)*3) + ":" + hex2(c.s.arch.memKB%251)
	c.print("eth0      Link encap:Ethernet  HWaddr ", mac, "  \n",
		"          inet addr:192.168.1.10  Bcast:192.168.1.255  Mask:255.255.255.0\n",
		"          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n",
		"          RX packets:1873625 errors:0 dropped:0 overruns:0 frame:0\n",
		"          TX packets:1205418 errors:0 dropped:0 overruns:0 carrier:0\n",
		"          collisions:0 txqueuelen:1000 \n",
		"          RX bytes:1238873221 (1.1 GiB)  TX bytes:318212839 (303.4 MiB)\n\n",
		"lo        Link encap:Local Loopback  \n",
		"          inet addr:127.0.0.1  Mask:255.0.0.0\n",
		"          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n",
		"          RX packets:1288 errors:0 dropped:0 overruns:0 frame:0\n",
		"          TX packets:1288 errors:0 dropped:0 overruns:0 carrier:0\n",
		"          collisions:0 txqueuelen:0 \n",
		"          RX bytes:103040 (100.6 KiB)  TX bytes:103040 (100.6 KiB)\n\n")
	return 0
}

func hex2(v int) string {
	const digits = "0123456789abcdef"
	v &= 0xff
	return string([]byte{digits[v>>4], digits[v&15]})
}

func cmdNetstat(c *call) int {
	c.print("Active Internet connections (servers and established)\n",
		"Proto Recv-Q Send-Q Local Address           Foreign Address         State       \n",
		"tcp        0      0 0.0.0.0:80              0.0.0.0:*               LISTEN      \n",
		"tcp        0      0 0.0.0.0:23              0.0.0.0:*               LISTEN      \n",
		"tcp        0      0 192.168.1.10:23         10.0.0.2:51234          ESTABLISHED \n")
	return 0
}

func cmdNohup(c *call) int {
	if len(c.args) < 2 {
		return 1
	}
	c.args = c.args[1:]
	return c.s.dispatch(c)
}
