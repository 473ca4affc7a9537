// Package bus carries what sensors produce to collectors over NATS
// JetStream (docs/scale.md): a Publisher is a store.Store whose writes
// become messages on a sensor's subjects, a Leaf is the embedded
// nats-server that keeps them on the sensor until the hub's stream has
// sourced them, and a Collector consumes the hub's stream and commits each
// batch to a store in one transaction, acknowledging only after the commit.
//
// Subjects carry a schema version: honeyscope.v1.SENSOR.ingest (a capture
// or live interval's commit record), .sessions (a honeypot batch),
// .samples (a sample's metadata; its bytes are in the object store bucket
// SampleBucket) and .part.BATCH (the parts a commit record names: chunks
// of appended rows in the store owner's bulk encoding, package remote, or
// pieces of an encoded session batch). Every message carries its batch id
// (Honeyscope-Batch) and a Nats-Msg-Id, so JetStream drops a republished
// message within its duplicate window, and the store drops a redelivered
// batch whatever its age (store.Ingest.BatchID, store.SessionBatch.ID).
package bus

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Version is the schema version the subjects carry.
const Version = "v1"

// SubjectPrefix starts every subject of this schema version.
const SubjectPrefix = "honeyscope." + Version

// SampleBucket is the object store bucket sample contents go to.
const SampleBucket = "honeyscope-samples"

// Header names.
const (
	// HdrBatch is the batch id a message belongs to.
	HdrBatch = "Honeyscope-Batch"
	// HdrParts, on a commit record, is how many parts it names.
	HdrParts = "Honeyscope-Parts"
	// HdrPart, on a part, is its index from 0.
	HdrPart = "Honeyscope-Part"
	// HdrTimeZone, on an ingest commit record, is the zone its days are in.
	HdrTimeZone = "Honeyscope-Tz"
)

// Message kinds, the last token of a subject (but part subjects, which
// end in the batch's token).
const (
	KindIngest   = "ingest"
	KindSessions = "sessions"
	KindSamples  = "samples"
	kindPart     = "part"
)

// SensorToken is the subject token for a sensor name: the name itself
// when it is safe in a subject, else with every unsafe byte (., *, >, %,
// space and control bytes, anything beyond ASCII) as %XX.
func SensorToken(sensor string) string {
	var b strings.Builder
	for i := 0; i < len(sensor); i++ {
		c := sensor[i]
		if c <= ' ' || c >= 0x7f || c == '.' || c == '*' || c == '>' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() == 0 {
		return "%00"
	}
	return b.String()
}

// Subject is the subject of a sensor's messages of a kind (KindIngest,
// KindSessions, KindSamples).
func Subject(sensor, kind string) string {
	return SubjectPrefix + "." + SensorToken(sensor) + "." + kind
}

// SensorSubjects is the wildcard of every subject of a sensor.
func SensorSubjects(sensor string) string {
	return SubjectPrefix + "." + SensorToken(sensor) + ".>"
}

// partSubject is the subject of the parts of one batch (token: the
// batch's own subject-safe token).
func partSubject(sensor, token string) string {
	return SubjectPrefix + "." + SensorToken(sensor) + "." + kindPart + "." + token
}

// SensorDomain is the JetStream domain of a sensor's embedded server: the
// name's letters, digits, - and _, with a hash of the name when anything
// else had to go (domains are single subject tokens of a narrower set).
func SensorDomain(sensor string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(sensor); i++ {
		c := sensor[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
			changed = true
		}
	}
	if changed || b.Len() == 0 {
		h := sha256.Sum256([]byte(sensor))
		b.WriteString("_" + hex.EncodeToString(h[:4]))
	}
	return "hs-" + b.String()
}
