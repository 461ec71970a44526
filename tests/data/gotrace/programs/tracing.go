// Shared by every program here (record.sh builds each main.go with this
// file): write an execution trace to the file named by the first argument.
package main

import (
	"os"
	"runtime/trace"
)

// startTrace starts tracing into os.Args[1]; the function it returns stops
// tracing and closes the file.
func startTrace() func() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	return func() {
		trace.Stop()
		f.Close()
	}
}
