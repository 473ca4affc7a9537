//go:build !unix

package pcaparchive

import "time"

// cpuTime is the elapsed time where getrusage does not exist.
func cpuTime() time.Duration { return time.Duration(time.Now().UnixNano()) }
