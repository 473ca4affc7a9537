package duckstore

// SetRawReads makes st's read methods answer from the source-level tables
// (true) or from the rollups where they can (false), for the tests of
// package duckstore_test.
func SetRawReads(st *Store, raw bool) { st.rawReads = raw }
