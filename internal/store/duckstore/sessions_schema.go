package duckstore

// sessionSchema is migration 5: the honeypot's sessions, their lists, the
// samples their files are, and the batches committed (docs/store.md
// describes every column). A session's list rows carry the session id and
// their position in the list (seq); they are replaced with the session.
var sessionSchema = []string{
	`CREATE TABLE hp_sessions (
		id VARCHAR PRIMARY KEY, sensor VARCHAR, service VARCHAR, port USMALLINT,
		src VARCHAR, src_port USMALLINT, dst VARCHAR,
		start_ts TIMESTAMP, end_ts TIMESTAMP, end_reason VARCHAR,
		arch VARCHAR, client_version VARCHAR, hassh VARCHAR, hassh_algos VARCHAR, telnet_options VARCHAR,
		filtered BOOLEAN, country VARCHAR, logged_in BOOLEAN, username VARCHAR, password VARCHAR,
		bytes_in BIGINT, bytes_out BIGINT, first_bytes BLOB, truncated INTEGER, intrusion BOOLEAN)`,
	`CREATE TABLE hp_logins (
		session_id VARCHAR, seq INTEGER, ts TIMESTAMP, method VARCHAR,
		username VARCHAR, password VARCHAR, success BOOLEAN)`,
	`CREATE TABLE hp_commands (
		session_id VARCHAR, seq INTEGER, ts TIMESTAMP, input VARCHAR, known BOOLEAN, patterns VARCHAR[])`,
	`CREATE TABLE hp_requests (
		session_id VARCHAR, seq INTEGER, ts TIMESTAMP, method VARCHAR, path VARCHAR, version VARCHAR,
		host VARCHAR, headers VARCHAR, body BLOB, body_size BIGINT, status INTEGER, patterns VARCHAR[])`,
	`CREATE TABLE hp_urls (
		session_id VARCHAR, seq INTEGER, ts TIMESTAMP, url VARCHAR, via VARCHAR, target VARCHAR)`,
	`CREATE TABLE hp_files (
		session_id VARCHAR, seq INTEGER, ts TIMESTAMP, path VARCHAR, size BIGINT, sha256 VARCHAR,
		type VARCHAR, via VARCHAR, sample BOOLEAN)`,
	`CREATE TABLE samples (
		sha256 VARCHAR PRIMARY KEY, size BIGINT, type VARCHAR, first_seen TIMESTAMP, last_seen TIMESTAMP,
		count INTEGER, via VARCHAR, session_id VARCHAR, src VARCHAR, sensor VARCHAR)`,
	`CREATE TABLE hp_batches (id VARCHAR PRIMARY KEY, committed_at TIMESTAMP, sessions INTEGER)`,
	// The intrusion class (its hits come through the ordinary commit path).
	`INSERT OR IGNORE INTO classes VALUES (6, 'intrusion', 64)`,
}
