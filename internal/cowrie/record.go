package cowrie

import (
	"fmt"
	"strings"

	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/session"
)

// record is one written event line. Field order is Cowrie's usual one;
// pointers mark the fields that are written even when zero.
type record struct {
	EventID   string `json:"eventid"`
	Timestamp string `json:"timestamp"`
	Session   string `json:"session"`
	SrcIP     string `json:"src_ip"`
	SrcPort   *int   `json:"src_port,omitempty"`
	DstIP     string `json:"dst_ip,omitempty"`
	DstPort   *int   `json:"dst_port,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
	Sensor    string `json:"sensor"`
	Message   string `json:"message"`

	Version         string   `json:"version,omitempty"`
	HASSH           string   `json:"hassh,omitempty"`
	HASSHAlgorithms string   `json:"hasshAlgorithms,omitempty"`
	KexAlgs         []string `json:"kexAlgs,omitempty"`
	EncCS           []string `json:"encCS,omitempty"`
	MacCS           []string `json:"macCS,omitempty"`
	CompCS          []string `json:"compCS,omitempty"`
	Arch            string   `json:"arch,omitempty"`

	Username *string `json:"username,omitempty"`
	Password *string `json:"password,omitempty"`
	Input    *string `json:"input,omitempty"`

	URL      string  `json:"url,omitempty"`
	Filename *string `json:"filename,omitempty"`
	Outfile  *string `json:"outfile,omitempty"`
	Destfile *string `json:"destfile,omitempty"`
	Shasum   string  `json:"shasum,omitempty"`

	Duration *float64 `json:"duration,omitempty"`

	HService       string   `json:"honeyscope_service,omitempty"`
	HArch          string   `json:"honeyscope_arch,omitempty"`
	HFiltered      *bool    `json:"honeyscope_filtered,omitempty"`
	HCountry       string   `json:"honeyscope_country,omitempty"`
	HTelnetOptions string   `json:"honeyscope_telnet_options,omitempty"`
	HClientVersion string   `json:"honeyscope_client_version,omitempty"`
	HMethod        string   `json:"honeyscope_method,omitempty"`
	HKnown         *bool    `json:"honeyscope_known,omitempty"`
	HPatterns      []string `json:"honeyscope_patterns,omitempty"`
	HVia           string   `json:"honeyscope_via,omitempty"`
	HType          string   `json:"honeyscope_type,omitempty"`
	HSize          *int64   `json:"honeyscope_size,omitempty"`
	HSample        *bool    `json:"honeyscope_sample,omitempty"`
	HData          []byte   `json:"honeyscope_data,omitempty"`

	HHTTPMethod   string  `json:"honeyscope_http_method,omitempty"`
	HHTTPPath     *string `json:"honeyscope_http_path,omitempty"`
	HHTTPVersion  string  `json:"honeyscope_http_version,omitempty"`
	HHTTPHost     string  `json:"honeyscope_http_host,omitempty"`
	HHTTPHeaders  string  `json:"honeyscope_http_headers,omitempty"`
	HHTTPBody     []byte  `json:"honeyscope_http_body,omitempty"`
	HHTTPBodySize *int64  `json:"honeyscope_http_body_size,omitempty"`
	HHTTPStatus   *int    `json:"honeyscope_http_status,omitempty"`

	HReason    string  `json:"honeyscope_reason,omitempty"`
	HLoggedIn  *bool   `json:"honeyscope_logged_in,omitempty"`
	HUsername  *string `json:"honeyscope_username,omitempty"`
	HPassword  *string `json:"honeyscope_password,omitempty"`
	HHASSH     string  `json:"honeyscope_hassh,omitempty"`
	HHASSHAlgo string  `json:"honeyscope_hassh_algorithms,omitempty"`
	HBytesIn   *int64  `json:"honeyscope_bytes_in,omitempty"`
	HBytesOut  *int64  `json:"honeyscope_bytes_out,omitempty"`
	HTruncated *int    `json:"honeyscope_truncated,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// records turns one session event into the lines Cowrie would write for
// it (a command the shell did not know is two: command.input, then
// command.failed, as Cowrie logs it).
func records(e session.Event) []record {
	s := e.Session
	if s == nil {
		s = &session.Session{}
	}
	base := record{
		Timestamp: FormatTime(e.Time),
		Session:   s.ID,
		SrcIP:     addrString(s),
		Sensor:    s.Sensor,
	}
	r := base
	switch e.Kind {
	case session.EventConnect, session.EventFiltered:
		r.EventID = IDConnect
		r.SrcPort, r.DstPort = ptr(int(s.SrcPort)), ptr(int(s.Port))
		if s.Dst.IsValid() {
			r.DstIP = s.Dst.Unmap().String()
		}
		r.Protocol = s.Service
		r.HService = s.Service
		r.HArch = s.Arch
		r.HCountry = s.Country
		r.Message = fmt.Sprintf("New connection: %s:%d (%s:%d) [session: %s]", r.SrcIP, s.SrcPort, r.DstIP, s.Port, s.ID)
		if s.Filtered {
			r.HFiltered = ptr(true)
			r.Message += " filtered"
		}
		return []record{r}
	case session.EventVersion:
		var out []record
		if s.ClientVersion != "" {
			r.EventID = IDVersion
			r.Version = s.ClientVersion
			r.Message = "Remote SSH version: " + s.ClientVersion
			if s.Service != session.SSH {
				r.Message = "Client version: " + s.ClientVersion
			}
			out = append(out, r)
		}
		if s.HASSH != "" {
			k := base
			k.EventID = IDKex
			k.HASSH = s.HASSH
			k.HASSHAlgorithms = s.HASSHAlgos
			parts := strings.Split(s.HASSHAlgos, ";")
			lists := []*[]string{&k.KexAlgs, &k.EncCS, &k.MacCS, &k.CompCS}
			for i := 0; i < len(parts) && i < len(lists); i++ {
				if parts[i] != "" {
					*lists[i] = strings.Split(parts[i], ",")
				}
			}
			k.Message = "SSH client hassh fingerprint: " + s.HASSH
			out = append(out, k)
		}
		if s.TelnetOptions != "" {
			o := base
			o.EventID = IDTelnetOptions
			o.HTelnetOptions = s.TelnetOptions
			o.Message = "Telnet options: " + s.TelnetOptions
			out = append(out, o)
		}
		if len(out) == 0 {
			return []record{update(base, s)}
		}
		return out
	case session.EventLogin:
		l := e.Login
		if l == nil {
			return nil
		}
		r.Username, r.Password = ptr(l.Username), ptr(l.Password)
		r.HMethod = l.Method
		if l.Success {
			r.EventID = IDLoginSuccess
			r.Message = fmt.Sprintf("login attempt [%s/%s] succeeded", l.Username, l.Password)
			if s.Arch != "" {
				p := base
				p.EventID = IDParams
				p.Arch = CowrieArch(s.Arch)
				p.HArch = s.Arch
				p.Message = "Session parameters: arch " + p.Arch
				return []record{r, p}
			}
		} else {
			r.EventID = IDLoginFailed
			r.Message = fmt.Sprintf("login attempt [%s/%s] failed", l.Username, l.Password)
		}
		return []record{r}
	case session.EventCommand:
		c := e.Command
		if c == nil {
			return nil
		}
		r.EventID = IDCommandInput
		r.Input = ptr(c.Input)
		r.HKnown = ptr(c.Known)
		r.HPatterns = c.Patterns
		r.Message = "CMD: " + c.Input
		if c.Known {
			return []record{r}
		}
		f := base
		f.EventID = IDCommandFailed
		f.Input = ptr(c.Input)
		f.Message = "Command not found: " + c.Input
		return []record{r, f}
	case session.EventURL:
		u := e.URL
		if u == nil {
			return nil
		}
		r.URL = u.URL
		r.HVia = u.Via
		r.Destfile = ptr(u.Target)
		if downloader(u.Via) {
			r.EventID = IDFileDownload
			r.Message = fmt.Sprintf("Download requested: URL (%s) to %s (content not fetched)", u.URL, u.Target)
		} else {
			r.EventID = IDURL
			r.Message = fmt.Sprintf("URL seen (%s): %s", u.Via, u.URL)
		}
		return []record{r}
	case session.EventFile:
		f := e.File
		if f == nil {
			return nil
		}
		r.EventID = IDFileUpload
		r.Filename = ptr(f.Path)
		out := ""
		if f.Sample {
			out = "samples/" + samplestore.RelPath(f.SHA256)
		}
		r.Outfile = ptr(out)
		r.Shasum = f.SHA256
		r.HVia, r.HType = f.Via, f.Type
		r.HSize = ptr(f.Size)
		r.HSample = ptr(f.Sample)
		r.Message = fmt.Sprintf("Saved %s file %s (%d bytes, %s) with SHA-256 %s", f.Via, f.Path, f.Size, f.Type, f.SHA256)
		return []record{r}
	case session.EventRequest:
		q := e.Request
		if q == nil {
			return nil
		}
		r.EventID = IDHTTPRequest
		r.HHTTPMethod, r.HHTTPPath, r.HHTTPVersion, r.HHTTPHost = q.Method, ptr(q.Path), q.Version, q.Host
		r.HHTTPHeaders, r.HHTTPBody = q.Headers, q.Body
		r.HHTTPBodySize, r.HHTTPStatus = ptr(q.BodySize), ptr(q.Status)
		r.HPatterns = q.Patterns
		r.Message = fmt.Sprintf("HTTP request: %s %s %s -> %d", q.Method, q.Path, q.Version, q.Status)
		return []record{r}
	case session.EventInput:
		r.EventID = IDInput
		r.HData = e.Data
		r.HSize = ptr(int64(len(e.Data)))
		r.Message = fmt.Sprintf("First bytes: %d", len(e.Data))
		return []record{r}
	case session.EventClosed:
		r.EventID = IDClosed
		end := e.Time
		if !s.End.IsZero() {
			end = s.End
		}
		d := end.Sub(s.Start).Seconds()
		if d < 0 {
			d = 0
		}
		r.Duration = ptr(d)
		r.Message = fmt.Sprintf("Connection lost after %d seconds", int64(d))
		header(&r, s)
		return []record{r}
	}
	return []record{update(base, s)}
}

// update is the event for a header change of another kind.
func update(r record, s *session.Session) record {
	r.EventID = IDUpdate
	r.Message = "Session updated"
	header(&r, s)
	return r
}

// header adds the session's header fields, as they are now.
func header(r *record, s *session.Session) {
	r.HService = s.Service
	r.HArch = s.Arch
	r.HCountry = s.Country
	if s.Filtered {
		r.HFiltered = ptr(true)
	}
	r.HTelnetOptions = s.TelnetOptions
	r.HClientVersion = s.ClientVersion
	r.HHASSH, r.HHASSHAlgo = s.HASSH, s.HASSHAlgos
	r.HReason = s.EndReason
	r.HLoggedIn = ptr(s.LoggedIn)
	if s.LoggedIn {
		r.HUsername, r.HPassword = ptr(s.Username), ptr(s.Password)
	}
	r.HBytesIn, r.HBytesOut = ptr(s.BytesIn), ptr(s.BytesOut)
	r.HTruncated = ptr(s.Truncated)
}

func addrString(s *session.Session) string {
	if !s.Src.IsValid() {
		return ""
	}
	return s.Src.Unmap().String()
}
