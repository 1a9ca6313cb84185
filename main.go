// Command gosnoop traces the kernel with BPF programs compiled at run time by libbcc.
package main

import (
	"os"

	"github.com/gosnoop/gosnoop/cmd"
)

func main() {
	app := cmd.NewApp(os.Stdout, os.Stderr)
	os.Exit(cmd.ExitCode(app.Run(os.Args), os.Stderr))
}
