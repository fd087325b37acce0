// Command perfgate gates pull requests on the training performance of large models.
// See the README or "perfgate help" for usage.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], SystemStreams()))
}
