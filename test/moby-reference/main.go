// Command moby-reference prints the docker-default AppArmor profile exactly as moby's own
// github.com/moby/profiles/apparmor module generates it, so the TypeScript dockerDefault() model can
// be compared against the real thing (compiled with apparmor_parser -Q -K -S, never loaded).
//
// The module only exports InstallDefault (which pipes the text into `apparmor_parser -Kr`, i.e. loads
// it into the kernel), so this program reaches the module's unexported template generator through a
// go:linkname pull. That keeps the text byte-for-byte moby's, while letting the caller choose which
// macros "exist" (abi/3.0, tunables/global, abstractions/base) instead of probing /etc/apparmor.d.
//
// Usage: moby-reference -name NAME [-abi] [-tunables] [-abstractions] [-daemon-profile NAME]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	_ "unsafe" // for go:linkname

	_ "github.com/moby/profiles/apparmor" // the package whose generator is linked below
)

// profileData mirrors the field layout of the module's unexported profileData struct at the version
// pinned in go.mod (Abi, Name, DaemonProfile string; Imports, InnerImports []string).
type profileData struct {
	Abi           string
	Name          string
	DaemonProfile string
	Imports       []string
	InnerImports  []string
}

//go:linkname generate github.com/moby/profiles/apparmor.generate
func generate(p *profileData, out io.Writer, macroExistsFn func(string) bool) error

func main() {
	name := flag.String("name", "", "profile name (required)")
	abi := flag.Bool("abi", false, "pretend abi/3.0 exists")
	tunables := flag.Bool("tunables", false, "pretend tunables/global exists")
	abstractions := flag.Bool("abstractions", false, "pretend abstractions/base exists")
	daemon := flag.String("daemon-profile", "", "profile of the docker daemon (moby uses unconfined when empty)")
	flag.Parse()
	if *name == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	exists := map[string]bool{
		"abi/3.0":           *abi,
		"tunables/global":   *tunables,
		"abstractions/base": *abstractions,
	}
	p := profileData{Name: *name, DaemonProfile: *daemon}
	if err := generate(&p, os.Stdout, func(m string) bool { return exists[m] }); err != nil {
		fmt.Fprintln(os.Stderr, "moby-reference:", err)
		os.Exit(1)
	}
}
