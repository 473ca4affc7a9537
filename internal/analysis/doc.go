// Package analysis turns per-day aggregates into the findings an observation
// report talks about: spikes and sustained rises in daily series, a
// comparison of two sensors, steady versus sporadic destination ports,
// coverage gaps and headline changes between two periods.
//
// Everything works on plain in-memory data that the caller has already
// queried from the store: the package knows nothing about the database,
// charts or I/O. Days are calendar days in the caller's timezone; a day with
// no data is marked absent (Present false) and is skipped, never counted as
// zero.
//
// Classes are identified by the names used on the command line and in the
// store ("access", "mirai", "zmap", "masscan", "backscatter", "exploit",
// "intrusion").
// Series are identified by a dimension ("country", "port", "asn") and a key
// within it ("IT", "23/tcp", "AS12345").
package analysis

// Dimension names used in Series.Dim and Driver.Dim.
const (
	DimCountry = "country" // key: ISO 3166-1 alpha-2 code, e.g. "IT"
	DimPort    = "port"    // key: "<number>/<proto>", e.g. "23/tcp"
	DimASN     = "asn"     // key: "AS<number>", e.g. "AS12345"
	DimPrefix  = "prefix"  // key: a source prefix, e.g. "192.0.2.0/24"
	DimSource  = "source"  // key: a source address, e.g. "192.0.2.1"
)
