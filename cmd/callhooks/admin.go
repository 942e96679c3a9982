package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// runAdmin holds administration commands; create-account is the way in
// for a new installation.
func runAdmin(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "prune" {
		return runPrune(ctx, cfg, args[1:], out)
	}
	if len(args) == 0 || args[0] != "create-account" {
		return fmt.Errorf("usage: callhooks admin create-account --name NAME --email EMAIL | prune [--older-than 720h]")
	}
	fs := flag.NewFlagSet("create-account", flag.ContinueOnError)
	fs.SetOutput(out)
	name := fs.String("name", "", "account name")
	email := fs.String("email", "", "email of the account's first user")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || *email == "" {
		return fmt.Errorf("create-account needs --name and --email")
	}
	store, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	res, err := store.CreateAccount(ctx, *name, *email, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "account %d created for %s\nAPI key (shown once, keep it safe): %s\n", res.Account.ID, *email, res.Secret)
	return nil
}
