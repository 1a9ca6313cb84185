package cmd

import (
	"fmt"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/bcc"
)

// buildVersion is set by `make build` from git describe.
var buildVersion string

// version is gosnoop's version: what make build stamped in, else what the Go
// build recorded (the module version, or the VCS revision).
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		return "devel-" + rev[:min(12, len(rev))] + modified
	}
	if v == "" {
		return "(devel)"
	}
	return v
}

// printVersion prints gosnoop's version and the libbcc this process loaded,
// which is what compiles the programs (the header it was built against may
// be older).
func printVersion(c *cli.Context) {
	fmt.Fprintf(c.App.Writer, "gosnoop %s\n", c.App.Version)
	path, loaded, err := bcc.LoadedLibrary()
	if err != nil {
		fmt.Fprintf(c.App.Writer, "libbcc: built against %s; the loaded library is unknown: %v\n", bcc.HeaderVersion(), err)
		return
	}
	fmt.Fprintf(c.App.Writer, "libbcc %s (%s); built against %s\n", loaded, path, bcc.HeaderVersion())
}
