package geo

// DefaultSize returns the number of IPv4 addresses of country in the
// builtin table: DefaultAddr gives a different address for every n below
// it. It is 0 for a country with no IPv4 space there.
func DefaultSize(country string) uint64 {
	builtinAddrs()
	r := builtin.byCC[normCode(country)]
	if r == nil {
		return 0
	}
	return r.total
}
