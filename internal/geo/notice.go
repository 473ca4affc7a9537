package geo

import _ "embed"

// Notice is the attribution text for the data in the builtin table and for
// databases made by BuildASN, for --help output and documentation.
//
//go:embed NOTICE.txt
var Notice string
