package aggregate

import (
	"fmt"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// baseClasses are the classes of which every hit carries exactly one: a
// captured packet is access (and maybe more), a honeypot session's
// intrusion hit is intrusion alone (docs/classes.md).
const baseClasses = classify.Tags(1<<classify.Access | 1<<classify.Intrusion)

// CheckHitClasses reports the first hit or hour of r that does not carry
// exactly one of access and intrusion. The stores answer a question of no
// class by adding the rows of those two classes, which is exact only when
// no row has both or neither; a Result built otherwise is a bug in its
// producer, refused before it reaches the store.
func (r *Result) CheckHitClasses() error {
	for i := range r.Hits {
		if t := r.Hits[i].Tags & baseClasses; t == 0 || t == baseClasses {
			return fmt.Errorf("hit %d (protocol %d, port %d) has classes %08b: every hit needs exactly one of access and intrusion", i, r.Hits[i].Proto, r.Hits[i].Port, r.Hits[i].Tags)
		}
	}
	for i := range r.Hourly {
		if t := r.Hourly[i].Tags & baseClasses; t == 0 || t == baseClasses {
			return fmt.Errorf("hour count %d has classes %08b: every count needs exactly one of access and intrusion", i, r.Hourly[i].Tags)
		}
	}
	return nil
}
