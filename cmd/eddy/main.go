// Command eddy runs the eddy server: `eddy` or `eddy serve` starts it, `eddy --version` prints
// the version, and `eddy restore --from FILE --data-dir DIR` prepares a new node's data
// directory from a savepoint archive.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/eddydb/eddy/server"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "restore" {
		return restore(args[1:])
	}
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	cfg := server.DefaultConfig()
	fs := flag.NewFlagSet("eddy", flag.ContinueOnError)
	cfg.BindFlags(fs)
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: eddy [serve] [flags]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Printf("eddy %s\n", server.Version)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "eddy: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "eddy: %v\n", err)
		return 2
	}
	log := cfg.NewLogger()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := server.Run(ctx, cfg, log); err != nil {
		log.Error("eddy stopped with an error", "err", err)
		return 1
	}
	return 0
}

// restore runs `eddy restore --from FILE --data-dir DIR`: DIR's state becomes the savepoint in
// the archive FILE (EXPORT SAVEPOINT or GET /api/v1/savepoints/{name}/archive wrote it), and
// `eddy --data-dir DIR` then starts a one-node cluster serving it, the savepoint still listed.
func restore(args []string) int {
	fs := flag.NewFlagSet("eddy restore", flag.ContinueOnError)
	from := fs.String("from", "", "the savepoint archive to restore")
	dataDir := fs.String("data-dir", "", "the new node's data directory (must not hold a database)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: eddy restore --from FILE --data-dir DIR\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *from == "" || *dataDir == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	m, err := server.RestoreArchive(*from, *dataDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "eddy restore: %v\n", err)
		return 1
	}
	fmt.Printf("restored savepoint %s (log index %d, format %d, eddy %s) into %s; start it with: eddy --data-dir %s\n",
		m.Savepoint.Name, m.Savepoint.Index, m.Savepoint.Format, m.Savepoint.EddyVersion, *dataDir, *dataDir)
	return 0
}
