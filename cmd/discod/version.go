package main

import (
	"fmt"
	"io"
	"runtime"
)

// version is the discod release; builds may set it with
// -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func runVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "discod v%s\nGo %s %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
