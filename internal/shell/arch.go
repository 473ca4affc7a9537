package shell

import "strings"

// archInfo describes one emulated CPU: what its ELF files, uname and
// /proc/cpuinfo say.
type archInfo struct {
	name    string // canonical name ("arm", "arm7", "mips", ...)
	class   byte   // ELF class: 1 (32-bit) or 2 (64-bit)
	data    byte   // ELF data: 1 (little-endian) or 2 (big-endian)
	machine uint16 // e_machine
	flags   uint32 // e_flags
	base    uint64 // load address of the ELF images
	unameM  string // uname -m
	kernel  string // uname -r
	build   string // uname -v
	gcc     string // compiler named in /proc/version
	cores   int
	memKB   int // MemTotal
	cpuinfo string
}

// arches are the emulated CPUs, by canonical name.
var arches = map[string]*archInfo{
	"arm": {
		name: "arm", class: 1, data: 1, machine: 40, flags: 0x05000200, base: 0x8000,
		unameM: "armv5tejl", kernel: "3.0.8", build: "#1 Thu Mar 23 10:05:44 CST 2017",
		gcc: "4.4.1 (Hisilicon_v100(gcc4.4-290+uclibc_0.9.32.1+eabi+linuxpthread)) ", cores: 1, memKB: 29812,
		cpuinfo: "Processor\t: ARM926EJ-S rev 5 (v5l)\nBogoMIPS\t: 218.72\nFeatures\t: swp half thumb fastmult edsp java \n" +
			"CPU implementer\t: 0x41\nCPU architecture: 5TEJ\nCPU variant\t: 0x0\nCPU part\t: 0x926\nCPU revision\t: 5\n\n" +
			"Hardware\t: hi3518\nRevision\t: 0000\nSerial\t\t: 0000000000000000\n",
	},
	"arm7": {
		name: "arm7", class: 1, data: 1, machine: 40, flags: 0x05000400, base: 0x10000,
		unameM: "armv7l", kernel: "3.10.14", build: "#1 SMP PREEMPT Fri Aug 24 16:19:25 CST 2018",
		gcc: "4.9.4 (Buildroot 2016.11.1) ", cores: 2, memKB: 124388,
		cpuinfo: cpuinfoARMv7(2),
	},
	"mips": {
		name: "mips", class: 1, data: 2, machine: 8, flags: 0x50001007, base: 0x400000,
		unameM: "mips", kernel: "2.6.31", build: "#1 Tue Oct 16 10:26:21 CST 2018",
		gcc: "4.3.3 (GCC) ", cores: 1, memKB: 28928,
		cpuinfo: "system type\t\t: Atheros AR9330 rev 1\nmachine\t\t\t: TP-LINK TL-WR741ND v4\nprocessor\t\t: 0\n" +
			"cpu model\t\t: MIPS 24Kc V7.4\nBogoMIPS\t\t: 265.42\nwait instruction\t: yes\nmicrosecond timers\t: yes\n" +
			"tlb_entries\t\t: 16\nextra interrupt vector\t: yes\nhardware watchpoint\t: yes, count: 4, address/irw mask: [0x0000, 0x0ff8, 0x0ff8, 0x0ff8]\n" +
			"ASEs implemented\t: mips16\nshadow register sets\t: 1\ncore\t\t\t: 0\nVCED exceptions\t\t: not available\nVCEI exceptions\t\t: not available\n",
	},
	"mipsel": {
		name: "mipsel", class: 1, data: 1, machine: 8, flags: 0x50001007, base: 0x400000,
		unameM: "mips", kernel: "4.4.198", build: "#0 Sat Nov 16 09:04:28 2019",
		gcc: "7.5.0 (OpenWrt GCC 7.5.0 r11364-ef56c85848) ", cores: 1, memKB: 60544,
		cpuinfo: "system type\t\t: MT7628AN ver:1 eco:2\nmachine\t\t\t: Xiaomi Mi Router 4A\nprocessor\t\t: 0\n" +
			"cpu model\t\t: MIPS 24KEc V5.5\nBogoMIPS\t\t: 385.84\nwait instruction\t: yes\nmicrosecond timers\t: yes\n" +
			"tlb_entries\t\t: 32\nextra interrupt vector\t: yes\nhardware watchpoint\t: yes, count: 4, address/irw mask: [0x0ffc, 0x0ffc, 0x0ffb, 0x0ffb]\n" +
			"isa\t\t\t: mips1 mips2 mips32r1 mips32r2\nASEs implemented\t: mips16 dsp\nshadow register sets\t: 1\nkscratch registers\t: 0\n" +
			"package\t\t\t: 0\ncore\t\t\t: 0\nVCED exceptions\t\t: not available\nVCEI exceptions\t\t: not available\n",
	},
	"x86": {
		name: "x86", class: 1, data: 1, machine: 3, flags: 0, base: 0x8048000,
		unameM: "i686", kernel: "2.6.32", build: "#1 SMP Mon Jun 4 11:29:52 CST 2012",
		gcc: "4.4.3 (GCC) ", cores: 2, memKB: 1026568,
		cpuinfo: cpuinfoX86(2, "Intel(R) Atom(TM) CPU D525   @ 1.80GHz", "28", "1800.000", "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe nx lm constant_tsc pni monitor ds_cpl tm2 ssse3 cx16 xtpr lahf_lm"),
	},
	"x86_64": {
		name: "x86_64", class: 2, data: 1, machine: 62, flags: 0, base: 0x400000,
		unameM: "x86_64", kernel: "4.14.180", build: "#1 SMP Tue Jun 2 11:12:01 CST 2020",
		gcc: "8.3.0 (Buildroot 2019.02.4) ", cores: 4, memKB: 3921480,
		cpuinfo: cpuinfoX86(4, "Intel(R) Celeron(R) CPU  J1900  @ 1.99GHz", "55", "1999.791", "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf tsc_known_freq pni pclmulqdq dtes64 monitor ds_cpl vmx est tm2 ssse3 cx16 xtpr pdcm sse4_1 sse4_2 movbe popcnt tsc_deadline_timer rdrand lahf_lm 3dnowprefetch epb pti tpr_shadow vnmi flexpriority ept vpid tsc_adjust smep erms dtherm ida arat"),
	},
	"aarch64": {
		name: "aarch64", class: 2, data: 1, machine: 183, flags: 0, base: 0x400000,
		unameM: "aarch64", kernel: "4.9.118", build: "#1 SMP PREEMPT Wed Mar 3 15:01:21 CST 2021",
		gcc: "6.4.1 (Linaro GCC 6.4-2017.08) ", cores: 4, memKB: 1012548,
		cpuinfo: cpuinfoARM64(4),
	},
	"powerpc": {
		name: "powerpc", class: 1, data: 2, machine: 20, flags: 0, base: 0x10000000,
		unameM: "ppc", kernel: "2.6.35", build: "#1 SMP Thu Sep 12 17:16:33 CST 2013",
		gcc: "4.3.2 (GCC) ", cores: 1, memKB: 250236,
		cpuinfo: "processor\t: 0\ncpu\t\t: e500v2\nclock\t\t: 800.000000MHz\nrevision\t: 5.1 (pvr 8021 1051)\nbogomips\t: 100.00\n\n" +
			"total bogomips\t: 100.00\ntimebase\t: 50000000\nplatform\t: P1020 RDB\nmodel\t\t: fsl,P1020RDB\nMemory\t\t: 256 MB\n",
	},
	"sh4": {
		name: "sh4", class: 1, data: 1, machine: 42, flags: 0x9, base: 0x400000,
		unameM: "sh4", kernel: "2.6.32.57", build: "#1 PREEMPT Tue Jul 2 13:48:12 CST 2013",
		gcc: "4.5.2 (GCC) ", cores: 1, memKB: 123352,
		cpuinfo: "machine\t\t: STi7111-Mboard\nprocessor\t: 0\ncpu family\t: sh4\ncpu type\t: STx7111\ncut\t\t: 3.x\n" +
			"cpu flags\t: fpu\ncache type\t: split (harvard)\nicache size\t: 32KiB (2-way)\ndcache size\t: 32KiB (2-way)\n" +
			"address sizes\t: 29 bits physical\nbogomips\t: 266.24\nmaster_clk\t: 450.00MHz\nmodule_clk\t: 100.00MHz\n" +
			"bus_clk\t\t: 100.00MHz\ncpu_clk\t\t: 450.00MHz\ntmu0_clk\t: 100.00MHz\n",
	},
	"m68k": {
		name: "m68k", class: 1, data: 2, machine: 4, flags: 0, base: 0x80000000,
		unameM: "m68k", kernel: "2.6.28", build: "#1 Sun Feb 8 21:22:12 CST 2009",
		gcc: "4.2.4 (GCC) ", cores: 1, memKB: 61256,
		cpuinfo: "CPU:\t\t68040\nMMU:\t\t68040\nFPU:\t\t68040\nClocking:\t25.0MHz\nBogoMips:\t16.53\nCalibration:\t82688 loops\n",
	},
	"sparc": {
		name: "sparc", class: 1, data: 2, machine: 2, flags: 0, base: 0x10000,
		unameM: "sparc", kernel: "2.6.32", build: "#1 Wed Feb 2 10:14:33 CST 2011",
		gcc: "4.4.5 (GCC) ", cores: 1, memKB: 126716,
		cpuinfo: "cpu\t\t: Fujitsu  MB86904\nfpu\t\t: Fujitsu MB86904\npromlib\t\t: Version 3 Revision 2\nprom\t\t: 2.25\n" +
			"type\t\t: sun4m\nncpus probed\t: 1\nncpus active\t: 1\nCpu0Bogo\t: 109.77\nCpu0ClkTck\t: 0000000006b0ae00\n" +
			"MMU type\t: Fujitsu Swift\ncontexts\t: 256\nnocache total\t: 262144\nnocache used\t: 7552\n",
	},
}

// archAliases map other spellings (Mirai's binary suffixes, uname -m
// values) to canonical names.
var archAliases = map[string]string{
	"armv5": "arm", "armv5l": "arm", "armv4": "arm", "arm5": "arm", "armv5tejl": "arm",
	"armv7": "arm7", "armv7l": "arm7", "armv6": "arm7", "arm6": "arm7",
	"mpsl": "mipsel", "mipsle": "mipsel",
	"i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86", "x86_32": "x86",
	"amd64": "x86_64", "x86-64": "x86_64", "x64": "x86_64",
	"arm64": "aarch64", "ppc": "powerpc", "spc": "sparc", "sh": "sh4",
}

// Arches returns the names of the emulated architectures (for config
// validation and per-session choice), in a stable order.
func Arches() []string {
	return []string{"arm", "arm7", "mips", "mipsel", "x86", "x86_64", "aarch64", "powerpc", "sh4", "m68k", "sparc"}
}

// lookupArch returns the architecture named name (canonical or alias), or
// arm7 for an empty or unknown name.
func lookupArch(name string) *archInfo {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := archAliases[n]; ok {
		n = a
	}
	if a, ok := arches[n]; ok {
		return a
	}
	return arches["arm7"]
}

// ValidArch reports whether name is an emulated architecture or an alias.
func ValidArch(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if _, ok := archAliases[n]; ok {
		return true
	}
	_, ok := arches[n]
	return ok
}

func cpuinfoARMv7(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("processor\t: " + itoa(i) + "\nmodel name\t: ARMv7 Processor rev 5 (v7l)\nBogoMIPS\t: 48.00\n" +
			"Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm \n" +
			"CPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x0\nCPU part\t: 0xc07\nCPU revision\t: 5\n\n")
	}
	b.WriteString("Hardware\t: Generic DT based system\nRevision\t: 0000\nSerial\t\t: 0000000000000000\n")
	return b.String()
}

func cpuinfoARM64(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("processor\t: " + itoa(i) + "\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid\n" +
			"CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd03\nCPU revision\t: 4\n\n")
	}
	return b.String()
}

func cpuinfoX86(n int, model, modelNo, mhz, flags string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("processor\t: " + itoa(i) + "\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: " + modelNo +
			"\nmodel name\t: " + model + "\nstepping\t: 8\ncpu MHz\t\t: " + mhz + "\ncache size\t: 1024 KB\n" +
			"physical id\t: 0\nsiblings\t: " + itoa(n) + "\ncore id\t\t: " + itoa(i) + "\ncpu cores\t: " + itoa(n) +
			"\napicid\t\t: " + itoa(i*2) + "\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 11\nwp\t\t: yes\n" +
			"flags\t\t: " + flags + "\nbogomips\t: 3999.58\nclflush size\t: 64\ncache_alignment\t: 64\n" +
			"address sizes\t: 36 bits physical, 48 bits virtual\npower management:\n\n")
	}
	return b.String()
}
