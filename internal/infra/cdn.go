package infra

import (
	"strings"
)

// CDN recognition. A name is served by a CDN when a name in its CNAME
// chain (or the name itself) ends in one of the CDN's suffixes, or else
// when one of its addresses is announced by one of the CDN's AS numbers.
// The AS list holds only networks that are (almost) entirely a CDN's edge:
// the general clouds (Amazon AS16509, Google AS15169, Microsoft AS8075)
// host far more than their CDNs, so their CDNs are recognised by CNAME
// only.
//
//	CDN                 CNAME suffixes                                              AS numbers
//	Akamai              akamaiedge.net akamai.net edgekey.net edgesuite.net         20940 16625 21342 32787
//	                    akamaized.net akamaihd.net akadns.net
//	Alibaba Cloud CDN   alikunlun.com alikunlun.net kunlunca.com
//	Amazon CloudFront   cloudfront.net
//	Azure CDN           azureedge.net azurefd.net msecnd.net
//	BunnyCDN            b-cdn.net                                                   200325
//	CDN77               cdn77.org cdn77.net                                         60068
//	CDNetworks          cdngc.net cdnetworks.net panthercdn.com                     36408
//	Cloudflare          cdn.cloudflare.net                                          13335 209242
//	Edgecast            edgecastcdn.net systemcdn.net                               15133
//	Fastly              fastly.net fastlylb.net                                     54113
//	Google Cloud CDN    googlehosted.com
//	Imperva             incapdns.net                                                19551
//	KeyCDN              kxcdn.com
//	Limelight           llnwd.net llnw.net                                          22822
//	StackPath           stackpathdns.com hwcdn.net                                  12989 33438
//	Sucuri              sucuri.net                                                  30148
//	Tencent Cloud CDN   cdn.dnsv1.com tcdn.qq.com
//	Wangsu              wscdns.com wsglb0.com chinanetcenter.com

// CDN is one content delivery network and how it is recognised.
type CDN struct {
	// Name is shown in graphs and tables.
	Name string
	// Suffixes are DNS suffixes of the CDN's CNAME targets (lower case, no
	// leading or trailing dot); a name matches a suffix when it equals it
	// or ends in "." + suffix.
	Suffixes []string
	// ASNs are AS numbers whose addresses are the CDN's edge.
	ASNs []uint32
}

// DefaultCDNs returns the documented table (a fresh copy the caller may
// extend).
func DefaultCDNs() []CDN {
	return []CDN{
		{"Akamai", []string{"akamaiedge.net", "akamai.net", "edgekey.net", "edgesuite.net", "akamaized.net", "akamaihd.net", "akadns.net"}, []uint32{20940, 16625, 21342, 32787}},
		{"Alibaba Cloud CDN", []string{"alikunlun.com", "alikunlun.net", "kunlunca.com"}, nil},
		{"Amazon CloudFront", []string{"cloudfront.net"}, nil},
		{"Azure CDN", []string{"azureedge.net", "azurefd.net", "msecnd.net"}, nil},
		{"BunnyCDN", []string{"b-cdn.net"}, []uint32{200325}},
		{"CDN77", []string{"cdn77.org", "cdn77.net"}, []uint32{60068}},
		{"CDNetworks", []string{"cdngc.net", "cdnetworks.net", "panthercdn.com"}, []uint32{36408}},
		{"Cloudflare", []string{"cdn.cloudflare.net"}, []uint32{13335, 209242}},
		{"Edgecast", []string{"edgecastcdn.net", "systemcdn.net"}, []uint32{15133}},
		{"Fastly", []string{"fastly.net", "fastlylb.net"}, []uint32{54113}},
		{"Google Cloud CDN", []string{"googlehosted.com"}, nil},
		{"Imperva", []string{"incapdns.net"}, []uint32{19551}},
		{"KeyCDN", []string{"kxcdn.com"}, nil},
		{"Limelight", []string{"llnwd.net", "llnw.net"}, []uint32{22822}},
		{"StackPath", []string{"stackpathdns.com", "hwcdn.net"}, []uint32{12989, 33438}},
		{"Sucuri", []string{"sucuri.net"}, []uint32{30148}},
		{"Tencent Cloud CDN", []string{"cdn.dnsv1.com", "tcdn.qq.com"}, nil},
		{"Wangsu", []string{"wscdns.com", "wsglb0.com", "chinanetcenter.com"}, nil},
	}
}

// cdnTable answers CDN questions over a list of CDNs.
type cdnTable struct {
	suffix map[string]string // suffix → CDN name
	asn    map[uint32]string
}

func newCDNTable(cdns []CDN) *cdnTable {
	t := &cdnTable{suffix: map[string]string{}, asn: map[uint32]string{}}
	for _, c := range cdns {
		for _, s := range c.Suffixes {
			s = strings.Trim(strings.ToLower(s), ".")
			if s != "" {
				t.suffix[s] = c.Name
			}
		}
		for _, a := range c.ASNs {
			t.asn[a] = c.Name
		}
	}
	return t
}

// byName returns the CDN whose suffix name ends in (the longest match).
func (t *cdnTable) byName(name string) (string, bool) {
	for s := name; s != ""; {
		if c, ok := t.suffix[s]; ok {
			return c, true
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return "", false
}

func (t *cdnTable) byASN(asn uint32) (string, bool) {
	if asn == 0 {
		return "", false
	}
	c, ok := t.asn[asn]
	return c, ok
}
