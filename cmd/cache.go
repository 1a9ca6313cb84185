package cmd

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/output"
)

var cacheCommand = &cli.Command{
	Name:      "cache",
	Usage:     "show or empty the compile cache",
	UsageText: "gosnoop cache [clean]",
	Description: "gosnoop keeps each program libbcc compiled, so the next run of the same\n" +
		"program (the same options, kernel, headers and libbcc) loads it without\n" +
		"clang. The cache is per user, in a directory only that user can write;\n" +
		"an entry that is not exactly what gosnoop wrote is never loaded. Entries\n" +
		"unused for 30 days are removed. \"gosnoop cache\" shows where it is and its\n" +
		"size; \"gosnoop cache clean\" removes every entry. --no-cache on a command\n" +
		"neither reads nor writes it.",
	OnUsageError: onUsageError,
	Action: func(c *cli.Context) error {
		switch {
		case c.NArg() == 0:
			dir, n, size, err := bcc.CacheUsage()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s: %d %s, %d KB\n", dir, n, output.Plural(uint64(n), "program"), (size+1023)/1024)
			return nil
		case c.NArg() == 1 && c.Args().First() == "clean":
			n, err := bcc.CleanCache()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "removed %d %s\n", n, output.Plural(uint64(n), "program"))
			return nil
		}
		return usageErrorf("cache takes nothing or \"clean\", got %q", c.Args().Slice())
	},
}
