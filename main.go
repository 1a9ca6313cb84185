// Command gosnoop traces the kernel with BPF programs compiled at run time by libbcc.
package main

import (
	"os"

	"github.com/gosnoop/gosnoop/cmd"
	"github.com/gosnoop/gosnoop/internal/launch"
)

func main() {
	if launch.IsGate(os.Args) { // --exec's command, waiting for the tracing
		launch.RunGate(os.Args)
	}
	app := cmd.NewApp(os.Stdout, os.Stderr)
	os.Exit(cmd.ExitCode(app.Run(os.Args), os.Stderr))
}
