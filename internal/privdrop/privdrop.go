// Package privdrop switches a process that started as root (to bind
// privileged ports) to an unprivileged account.
package privdrop

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// Drop switches the process to the account name: its supplementary
// groups, primary group and user id, in that order (Go applies each to
// every thread of the process on Linux). It does nothing when the process
// already runs as that account, and fails when it runs as another
// unprivileged one. After Drop returns nil the process cannot regain root.
func Drop(name string) error {
	if name == "" {
		return errors.New("privdrop: no user name")
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("privdrop: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("privdrop: user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("privdrop: user %s: gid %q: %w", name, u.Gid, err)
	}
	if os.Geteuid() == uid && os.Getuid() == uid {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("privdrop: cannot switch to %s (uid %d): not running as root", name, uid)
	}
	if uid == 0 {
		return fmt.Errorf("privdrop: user %s is root", name)
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil && g != gid {
				groups = append(groups, g)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("privdrop: setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("privdrop: setgid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("privdrop: setuid %d: %w", uid, err)
	}
	if syscall.Setuid(0) == nil {
		return errors.New("privdrop: root could be regained after setuid")
	}
	return nil
}
