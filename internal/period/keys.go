package period

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/store"
)

// DimSensor is the dimension of series per sensor: the key is the sensor's
// name.
const DimSensor = "sensor"

// OtherKey is the key of the series that sums the keys a SeriesQuery with
// Keep left out: "other" for countries, AS numbers and sensors,
// "other/<proto>" for ports below FoldFrom; left-out ports from FoldFrom
// up are summed into a range key (see RangeKey).
const OtherKey = "other"

// FoldFrom is the lowest port a SeriesQuery with Keep folds into the high
// range, analysis.DefaultPortConfig's FoldFrom.
var FoldFrom = analysis.DefaultPortConfig().FoldFrom

// PortKey formats a protocol number and port as an analysis port key
// ("23/tcp").
func PortKey(proto uint8, port int) string {
	return strconv.Itoa(port) + "/" + store.ProtoName(proto)
}

// ASNKey formats an AS number as an analysis key ("AS12345").
func ASNKey(asn uint32) string { return "AS" + strconv.FormatUint(uint64(asn), 10) }

// RangeKey is the key of the series of left-out ports from FoldFrom up of
// one protocol: "1024-65535/tcp".
func RangeKey(proto string) string { return strconv.Itoa(FoldFrom) + "-65535/" + proto }

// IsOther reports whether key is a folded key: "other", "other/<proto>" or
// a port range ("1024-65535/tcp").
func IsOther(key string) bool {
	if key == OtherKey || strings.HasPrefix(key, OtherKey+"/") {
		return true
	}
	_, _, _, ok := analysis.ParsePortRange(key)
	return ok
}

// storeDim is the store's name of a dimension.
func storeDim(dim string) (string, error) {
	switch dim {
	case analysis.DimCountry:
		return store.DimCountry, nil
	case analysis.DimPort:
		return store.DimPort, nil
	case analysis.DimASN:
		return store.DimASN, nil
	case DimSensor:
		return store.DimSensor, nil
	}
	return "", fmt.Errorf("unknown dimension %q (country, port, asn or sensor)", dim)
}

// keyString is the analysis key of a store key of dimension dim.
func keyString(dim string, k store.Key) string {
	switch dim {
	case store.DimPort:
		switch k.Fold {
		case store.FoldOther:
			return OtherKey + "/" + store.ProtoName(k.Proto)
		case store.FoldHigh:
			return RangeKey(store.ProtoName(k.Proto))
		}
		return PortKey(k.Proto, int(k.Port))
	case store.DimPrefix:
		return k.Prefix.String()
	}
	if k.Fold != store.FoldNone {
		return OtherKey
	}
	switch dim {
	case store.DimCountry:
		return k.Country
	case store.DimASN:
		return ASNKey(k.ASN)
	case store.DimSensor:
		return k.Sensor
	}
	return ""
}

// parseKey reads an analysis key of dimension dim (country, port or asn).
func parseKey(dim, key string) (store.Key, error) {
	switch dim {
	case analysis.DimCountry:
		return store.Key{Country: key}, nil
	case analysis.DimPort:
		proto, port, ok := analysis.ParsePortKey(key)
		if !ok || port < 0 || port > 65535 {
			return store.Key{}, fmt.Errorf("bad port key %q", key)
		}
		pn, err := store.ProtoNumber(proto)
		if err != nil {
			return store.Key{}, err
		}
		return store.Key{Proto: pn, Port: uint16(port)}, nil
	case analysis.DimASN:
		n, err := strconv.ParseUint(strings.TrimPrefix(key, "AS"), 10, 32)
		if err != nil {
			return store.Key{}, fmt.Errorf("bad AS key %q", key)
		}
		return store.Key{ASN: uint32(n)}, nil
	case analysis.DimPrefix:
		p, err := netip.ParsePrefix(key)
		if err != nil {
			return store.Key{}, fmt.Errorf("bad prefix key %q", key)
		}
		return store.Key{Prefix: p}, nil
	}
	return store.Key{}, fmt.Errorf("unknown dimension %q", dim)
}
