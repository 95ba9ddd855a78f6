// Command ctl is the Brine operator's command line.
package main

import (
	"os"

	"github.com/brine-cm/brine/command"
)

func main() { os.Exit(command.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
