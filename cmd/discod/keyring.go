package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/discod/discod/membership"
)

func runKeygen(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "Usage: discod keygen\n\n  Prints a new random 32-byte gossip encryption key for -encrypt.")
		if args[0] == "-h" || args[0] == "-help" {
			return 0
		}
		return 1
	}
	fmt.Fprintln(stdout, membership.GenerateKey())
	return 0
}

func runKeyring(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("keyring", "keyring [options] -list | -install KEY | -use KEY | -remove KEY\n\n  Manages the gossip encryption keyring of every live member at once. Rotate a key\n  with -install NEW, then -use NEW, then -remove OLD.", stderr)
	client := clientFlags(fs)
	list := fs.Bool("list", false, "list the keys installed on the members, with how many nodes hold each")
	install := fs.String("install", "", "install `KEY` (base64) on every member")
	use := fs.String("use", "", "make `KEY` the primary (encrypting) key on every member")
	remove := fs.String("remove", "", "remove `KEY` from every member")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	type opT struct {
		method, key, verb string
	}
	var ops []opT
	if *list {
		ops = append(ops, opT{http.MethodGet, "", "Gathering installed encryption keys"})
	}
	if *install != "" {
		ops = append(ops, opT{http.MethodPost, *install, "Installing new gossip encryption key"})
	}
	if *use != "" {
		ops = append(ops, opT{http.MethodPut, *use, "Changing primary gossip encryption key"})
	}
	if *remove != "" {
		ops = append(ops, opT{http.MethodDelete, *remove, "Removing gossip encryption key"})
	}
	if len(ops) != 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "discod keyring: give exactly one of -list, -install, -use, -remove")
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod keyring: %v\n", err)
		return 1
	}
	op := ops[0]
	fmt.Fprintf(stdout, "==> %s...\n", op.verb)
	res, err := c.Keyring(context.Background(), op.method, op.key)
	if err != nil {
		fmt.Fprintf(stderr, "discod keyring: %v\n", err)
		return 1
	}
	code := 0
	for _, r := range res {
		pool := r.Datacenter + " (LAN)"
		if r.WAN {
			pool = "WAN"
		}
		fmt.Fprintf(stdout, "\n%s: %d of %d nodes answered\n", pool, r.NumResp, r.NumNodes)
		for _, k := range slices.Sorted(maps.Keys(r.Keys)) {
			primary := ""
			if n := r.PrimaryKeys[k]; n > 0 {
				primary = fmt.Sprintf(" primary on %d", n)
			}
			fmt.Fprintf(stdout, "  %s [%d/%d]%s\n", k, r.Keys[k], r.NumNodes, primary)
		}
		for _, node := range slices.Sorted(maps.Keys(r.Messages)) {
			fmt.Fprintf(stdout, "  error: %s: %s\n", node, r.Messages[node])
			code = 1
		}
	}
	if code != 0 {
		fmt.Fprintln(stderr, "discod keyring: some nodes did not apply the operation (listed above)")
	}
	return code
}
