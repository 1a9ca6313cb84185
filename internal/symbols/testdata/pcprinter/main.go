// Command pcprinter prints the address and name of two of its functions,
// then waits for stdin to close: a process whose stack addresses the
// symbols tests resolve through its /proc.
package main

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
)

//go:noinline
func gosnoopMarkerOuter() int { return gosnoopMarkerInner() + 1 }

//go:noinline
func gosnoopMarkerInner() int { return 1 }

func main() {
	for _, fn := range []any{gosnoopMarkerOuter, gosnoopMarkerInner} {
		pc := reflect.ValueOf(fn).Pointer()
		fmt.Printf("%x %s\n", pc, runtime.FuncForPC(pc).Name())
	}
	io.Copy(io.Discard, os.Stdin)
}
