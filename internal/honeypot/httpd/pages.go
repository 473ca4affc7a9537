package httpd

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"net/http"
	"regexp"
	"strings"
)

// A profile is the device a port pretends to be: its Server header, its
// pages and which paths ask for credentials.
type profile struct {
	name      string
	server    string
	title     string // login page title ("" : no login page, / is 404)
	realm     string // Basic realm of protected paths
	protected []string
	soap      bool // answers SOAP POSTs (TR-069, UPnP)
}

// Profiles by name.
var profiles = map[string]*profile{
	"router": {
		name: "router", server: "Boa/0.94.14rc21", title: "Wireless Router", realm: "Wireless Router",
		protected: []string{"/admin", "/cgi-bin/", "/goform/", "/userRpm/", "/setup.cgi", "/HNAP1", "/manager/"},
	},
	"dvr": {
		name: "dvr", server: "JAWS/1.0", title: "WEB SERVICE", realm: "DVR",
		protected: []string{"/cgi-bin/", "/admin", "/device.rsp", "/manager/"},
	},
	"camera": {
		name: "camera", server: "GoAhead-Webs", title: "IP Camera", realm: "IP Camera",
		protected: []string{"/cgi-bin/", "/ISAPI/", "/admin", "/onvif/", "/manager/"},
	},
	"tr069": {
		name: "tr069", server: "RomPager/4.07 UPnP/1.0", realm: "Broadband Router",
		protected: []string{"/admin", "/cgi-bin/"}, soap: true,
	},
	"hg532": {
		name: "hg532", server: "Linux UPnP/1.0 Huawei-ATP-IGD", realm: "HuaweiHomeGateway", soap: true,
	},
	"realtek": {
		name: "realtek", server: "miniupnpd/1.0 UPnP/1.0", realm: "Realtek", soap: true,
	},
}

// profileForPort picks the device a port is known for.
func profileForPort(port uint16) *profile {
	switch port {
	case 81, 8000:
		return profiles["dvr"]
	case 443, 8443:
		return profiles["camera"]
	case 7547:
		return profiles["tr069"]
	case 37215:
		return profiles["hg532"]
	case 52869:
		return profiles["realtek"]
	}
	return profiles["router"]
}

// Profiles returns the names of the device profiles Config.Profile accepts.
func Profiles() []string {
	return []string{"router", "dvr", "camera", "tr069", "hg532", "realtek"}
}

// response is one answer.
type response struct {
	status int
	ctype  string
	body   []byte
	header [][2]string
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta http-equiv="X-UA-Compatible" content="IE=edge"><title>{{.Title}}</title>
<style>body{font-family:Arial,sans-serif;background:#eef1f4}form{width:320px;margin:120px auto;background:#fff;padding:24px;border:1px solid #ccd}input{width:100%;margin:6px 0 14px}</style>
</head><body><form method="post" action="/login.cgi" autocomplete="off"><h2>{{.Title}}</h2>
{{if .Failed}}<p style="color:#c00">Invalid username or password.</p>{{end}}
<label>Username<input type="text" name="username"></label>
<label>Password<input type="password" name="password"></label>
<input type="submit" value="Login"></form></body></html>
`))

var statusPage = template.Must(template.New("status").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head><body>
<h2>{{.Title}}</h2><table><tr><td>Firmware Version</td><td>V1.0.0 build 20190827</td></tr>
<tr><td>Hardware Version</td><td>V2.0</td></tr><tr><td>System Up Time</td><td>0 days 03:12:45</td></tr></table>
</body></html>
`))

func render(t *template.Template, title string, failed bool) []byte {
	var b bytes.Buffer
	_ = t.Execute(&b, struct {
		Title  string
		Failed bool
	}{title, failed})
	return b.Bytes()
}

const notFoundBody = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n"

func notFound() response {
	return response{status: http.StatusNotFound, ctype: "text/html", body: []byte(notFoundBody)}
}

func unauthorized(realm string) response {
	return response{
		status: http.StatusUnauthorized, ctype: "text/html",
		body:   []byte("<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>\n"),
		header: [][2]string{{"WWW-Authenticate", `Basic realm="` + realm + `"`}},
	}
}

// soapName accepts the SOAP action and service names echoed in an answer.
var soapName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
var soapService = regexp.MustCompile(`^urn:[A-Za-z0-9:._-]{1,120}$`)

// soapAnswer answers a SOAP request with an empty "...Response" to the
// action the SOAPAction header names, as a UPnP or TR-069 stack does. The
// names are echoed only when they are plain identifiers, and escaped.
func soapAnswer(action string) response {
	action = strings.Trim(action, `"`)
	service, name, _ := strings.Cut(action, "#")
	if !soapName.MatchString(name) || !soapService.MatchString(service) {
		service, name = "urn:schemas-upnp-org:service:WANIPConnection:1", "AddPortMapping"
	}
	var esc bytes.Buffer
	esc.WriteString(`<?xml version="1.0"?>` + "\r\n" + `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:`)
	_ = xml.EscapeText(&esc, []byte(name))
	esc.WriteString(`Response xmlns:u="`)
	_ = xml.EscapeText(&esc, []byte(service))
	esc.WriteString(`"></u:`)
	_ = xml.EscapeText(&esc, []byte(name))
	esc.WriteString("Response></s:Body></s:Envelope>\r\n")
	return response{status: http.StatusOK, ctype: `text/xml; charset="utf-8"`, body: esc.Bytes()}
}

const realtekDescription = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><friendlyName>Realtek IGD</friendlyName>
<manufacturer>Realtek Semiconductor Corp.</manufacturer><modelName>RTL8196C</modelName><modelNumber>1.0</modelNumber>
<UDN>uuid:12342409-1234-1234-5678-ee1234cc5678</UDN>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<controlURL>/upnp/control/WANIPConn1</controlURL><eventSubURL>/upnp/event/WANIPConn1</eventSubURL><SCPDURL>/wanipcn.xml</SCPDURL></service></serviceList>
</device></root>
`

// route answers one request. login is asked to check HTTP Basic or form
// credentials (it records the attempt) and reports whether they pass.
func (p *profile) route(req *http.Request, title string, body []byte, login func(user, pass, method string) bool) response {
	path := req.URL.Path
	if user, pass, ok := req.BasicAuth(); ok {
		if login(user, pass, "http-basic") && p.isProtected(path) {
			return response{status: http.StatusOK, ctype: "text/html", body: render(statusPage, p.pageTitle(title), false)}
		}
	}
	if p.soap && req.Method == http.MethodPost {
		if a := req.Header.Get("SOAPAction"); a != "" || bytes.Contains(body, []byte("Envelope")) {
			return soapAnswer(a)
		}
	}
	if p.isProtected(path) {
		return unauthorized(p.realm)
	}
	switch {
	case p.name == "realtek" && (path == "/picsdesc.xml" || path == "/wanipcn.xml") && req.Method != http.MethodPost:
		return response{status: http.StatusOK, ctype: `text/xml; charset="utf-8"`, body: []byte(realtekDescription)}
	case p.name == "dvr" && path == "/shell":
		// The JAWS shell handler answers with the command's (here empty) output.
		return response{status: http.StatusOK, ctype: "text/html"}
	case p.title == "":
		return notFound()
	case path == "/login.cgi" && req.Method == http.MethodPost:
		user, pass, ok := formCredentials(body)
		if ok && login(user, pass, "http-form") {
			return response{status: http.StatusOK, ctype: "text/html", body: render(statusPage, p.pageTitle(title), false)}
		}
		return response{status: http.StatusOK, ctype: "text/html", body: render(loginPage, p.pageTitle(title), ok)}
	case path == "/" || path == "/index.html" || path == "/index.htm" || path == "/login.html" || path == "/login.htm" || path == "/login.asp":
		return response{status: http.StatusOK, ctype: "text/html", body: render(loginPage, p.pageTitle(title), false)}
	}
	return notFound()
}

func (p *profile) pageTitle(title string) string {
	if title != "" {
		return title
	}
	return p.title
}

func (p *profile) isProtected(path string) bool {
	for _, pre := range p.protected {
		if strings.HasPrefix(path, pre) {
			return true
		}
	}
	return false
}
