package rules

// Buffer names an inspection buffer: the packet payload, a part of an HTTP
// message, or the honeypot's command line.
type Buffer uint8

// Inspection buffers. Request and response buffers are filled from the HTTP
// message a packet payload starts (or a honeypot request); BufCmdline only
// from Matcher.Command.
const (
	BufPayload      Buffer = iota // packet payload (pkt_data / stream)
	BufMethod                     // http.method
	BufURI                        // http.uri (normalized)
	BufURIRaw                     // http.uri.raw
	BufHeader                     // http.header (normalized "Name: value\r\n" lines, then "\r\n")
	BufHeaderRaw                  // http.header.raw (the header block as received)
	BufHeaderNames                // http.header_names ("\r\nName\r\n...\r\n\r\n")
	BufUserAgent                  // http.user_agent
	BufHost                       // http.host (lower case, no port)
	BufHostRaw                    // http.host.raw
	BufRequestBody                // http.request_body, file.data in requests
	BufCookie                     // http.cookie
	BufContentType                // http.content_type
	BufReferer                    // http.referer
	BufContentLen                 // http.content_len
	BufAccept                     // http.accept
	BufAcceptEnc                  // http.accept_enc
	BufAcceptLang                 // http.accept_lang
	BufConnection                 // http.connection
	BufProtocol                   // http.protocol
	BufRequestLine                // http.request_line
	BufStart                      // http.start (start line and headers, "\r\n\r\n")
	BufStatCode                   // http.stat_code
	BufStatMsg                    // http.stat_msg
	BufResponseLine               // http.response_line
	BufResponseBody               // http.response_body, file.data in responses
	BufServer                     // http.server
	BufLocation                   // http.location
	BufCmdline                    // honeyscope.cmdline: one honeypot shell command line
	BufDNSQuery                   // dns.query: the first question's name, dotted
	BufTLSSNI                     // tls.sni: server_name of a ClientHello
	BufTLSCerts                   // tls.certs: each certificate of a Certificate message (multi-buffer)
	numBuffers
)

var bufferNames = [numBuffers]string{
	BufPayload: "payload", BufMethod: "http.method", BufURI: "http.uri", BufURIRaw: "http.uri.raw",
	BufHeader: "http.header", BufHeaderRaw: "http.header.raw", BufHeaderNames: "http.header_names",
	BufUserAgent: "http.user_agent", BufHost: "http.host", BufHostRaw: "http.host.raw",
	BufRequestBody: "http.request_body", BufCookie: "http.cookie", BufContentType: "http.content_type",
	BufReferer: "http.referer", BufContentLen: "http.content_len", BufAccept: "http.accept",
	BufAcceptEnc: "http.accept_enc", BufAcceptLang: "http.accept_lang", BufConnection: "http.connection",
	BufProtocol: "http.protocol", BufRequestLine: "http.request_line", BufStart: "http.start",
	BufStatCode: "http.stat_code", BufStatMsg: "http.stat_msg", BufResponseLine: "http.response_line",
	BufResponseBody: "http.response_body", BufServer: "http.server", BufLocation: "http.location",
	BufCmdline: "honeyscope.cmdline", BufDNSQuery: "dns.query", BufTLSSNI: "tls.sni", BufTLSCerts: "tls.certs",
}

// String returns the buffer's keyword ("http.uri", "payload", ...).
func (b Buffer) String() string {
	if b < numBuffers {
		return bufferNames[b]
	}
	return "?"
}

// isHTTP reports whether b is filled from an HTTP message.
func (b Buffer) isHTTP() bool { return b >= BufMethod && b <= BufLocation }

// stickyBuffers maps sticky buffer keywords (and their legacy spellings
// without a content modifier role) to buffers. "file.data" is resolved by
// direction at the end of parsing.
var stickyBuffers = map[string]Buffer{
	"pkt_data": BufPayload, "http.method": BufMethod, "http.uri": BufURI, "http.uri.raw": BufURIRaw,
	"http.header": BufHeader, "http.header.raw": BufHeaderRaw, "http.header_names": BufHeaderNames,
	"http.user_agent": BufUserAgent, "http.host": BufHost, "http.host.raw": BufHostRaw,
	"http.request_body": BufRequestBody, "http.cookie": BufCookie,
	"http.content_type": BufContentType, "http.referer": BufReferer, "http.content_len": BufContentLen,
	"http.accept": BufAccept, "http.accept_enc": BufAcceptEnc, "http.accept_lang": BufAcceptLang,
	"http.connection": BufConnection, "http.protocol": BufProtocol, "http.request_line": BufRequestLine,
	"http.start": BufStart, "http.stat_code": BufStatCode, "http.stat_msg": BufStatMsg,
	"http.response_line": BufResponseLine, "http.response_body": BufResponseBody,
	"http.server": BufServer, "http.location": BufLocation,
	"honeyscope.cmdline": BufCmdline, "dns.query": BufDNSQuery, "dns_query": BufDNSQuery,
	"tls.sni": BufTLSSNI, "tls_sni": BufTLSSNI, "tls.certs": BufTLSCerts,
}

// legacyModifiers maps the content modifiers of the older syntax
// (content:"x"; http_uri;) to the buffer they move the content into.
var legacyModifiers = map[string]Buffer{
	"http_method": BufMethod, "http_uri": BufURI, "http_raw_uri": BufURIRaw, "http_header": BufHeader,
	"http_raw_header": BufHeaderRaw, "http_user_agent": BufUserAgent, "http_host": BufHost,
	"http_raw_host": BufHostRaw, "http_client_body": BufRequestBody, "http_cookie": BufCookie,
	"http_stat_code": BufStatCode, "http_stat_msg": BufStatMsg, "http_server_body": BufResponseBody,
	"http_header_names": BufHeaderNames,
}
