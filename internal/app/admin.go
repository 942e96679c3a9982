package app

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/callhooks/callhooks/internal/masterkeys"
)

// runAdmin holds administration commands; create-account is the way in
// for a new installation.
func runAdmin(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "prune" {
		return runPrune(ctx, cfg, args[1:], out)
	}
	if len(args) > 0 && args[0] == "reseal-secrets" {
		return runReseal(ctx, cfg, out)
	}
	if len(args) == 0 || args[0] != "create-account" {
		return fmt.Errorf("usage: callhooks admin create-account --name NAME --email EMAIL | prune [--older-than 720h] [--audit-older-than 8760h] | reseal-secrets")
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
	store, err := OpenStore(ctx, cfg, false)
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

// runReseal seals every signing key with the first of CALLHOOKS_SECRET_KEYS:
// run it once after turning encryption on, and after putting a new master
// key first (then drop the old key from the list).
func runReseal(ctx context.Context, cfg Config, out io.Writer) error {
	if !masterkeys.Given(cfg.SecretKeys) {
		return fmt.Errorf("reseal-secrets: set CALLHOOKS_SECRET_KEYS first (openssl rand -base64 32)")
	}
	store, err := OpenStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	n, err := store.ResealSecrets(ctx)
	fmt.Fprintf(out, "resealed the signing keys of %d companies\n", n)
	return err
}
