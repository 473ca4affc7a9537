//go:build !sshhttp

package honeypot

// protocolFrontEnd: this build has no SSH or HTTP front end (build with
// -tags sshhttp once internal/honeypot/sshd and httpd exist); their ports
// are skipped with a warning unless Dependencies.FrontEnds provides them.
func protocolFrontEnd(string) FrontEnd { return nil }
