package locator

// Configuration names the GeoIP databases. Reload reads the same files
// again (replace them on disk, then send SIGHUP to serve).
type Configuration struct {
	// CountryDB is a MaxMind-format country or city database; "" uses the
	// built-in table.
	CountryDB string
	// ASNDB is a MaxMind-format ASN database; "" leaves AS numbers unknown
	// unless the country database carries them.
	ASNDB string
}

// DefaultConfiguration uses the built-in country table and no ASN database.
func DefaultConfiguration() Configuration { return Configuration{} }
