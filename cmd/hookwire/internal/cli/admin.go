package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/services/registry/reseal"
)

func (a *app) adminCommand() *cobra.Command {
	return group("admin", "Operator maintenance that talks to NATS JetStream directly", nil, a.resealCommand())
}

func (a *app) resealCommand() *cobra.Command {
	var natsURL string
	var dryRun bool
	c := &cobra.Command{
		Use:   "reseal [--nats-url URL] [--dry-run]",
		Short: "Reseal every stored secret under the current master key (master-key rotation)",
		Long: "reseal rewrites every sealed value in the registry's KV buckets (subscriptions and\n" +
			"remembered responses) under HOOKWIRE_MASTER_KEY, opening it with that key or one of\n" +
			"HOOKWIRE_MASTER_KEYS_PREVIOUS (comma-separated). Each record is written back with\n" +
			"compare-and-set on its revision, so it is safe while the services run; values already\n" +
			"under the current key are left alone, so running it again writes nothing. It prints\n" +
			"what it did per bucket and fails if any record could not be opened (those are left\n" +
			"as they are and listed by id and field, never by value). See README, Rotating the\n" +
			"master key.",
		Args: exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&natsURL, "nats-url", envOr("HOOKWIRE_NATS_URL", "nats://127.0.0.1:4222"), "NATS server of the registry (env HOOKWIRE_NATS_URL)")
	fs.BoolVar(&dryRun, "dry-run", false, "open everything and count what would be rewritten, writing nothing")
	c.RunE = func(c *cobra.Command, _ []string) error {
		current := os.Getenv("HOOKWIRE_MASTER_KEY")
		if current == "" {
			return usagef("HOOKWIRE_MASTER_KEY must be set to the current master key (and HOOKWIRE_MASTER_KEYS_PREVIOUS to the keys being retired)")
		}
		box, _, err := seal.ResolveBox(current, os.Getenv("HOOKWIRE_MASTER_KEYS_PREVIOUS"), false, "")
		if err != nil {
			return err
		}
		nc, err := nats.Connect(natsURL, nats.Name("hookwire-admin-reseal"))
		if err != nil {
			return fmt.Errorf("connect nats: %w", err) // the URL may hold credentials: not repeated
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return fmt.Errorf("jetstream: %w", err)
		}
		reports, err := reseal.All(c.Context(), js, box, reseal.Options{DryRun: dryRun})
		if perr := a.printReseal(box, dryRun, reports); perr != nil {
			return errors.Join(err, perr)
		}
		if err != nil {
			return fmt.Errorf("reseal: %w", err)
		}
		failed := 0
		for _, r := range reports {
			failed += len(r.Failed)
		}
		if failed > 0 {
			return fmt.Errorf("reseal: %d record(s) could not be opened and were left as they are", failed)
		}
		return nil
	}
	return c
}

// printReseal shows each bucket's counts (and failures) as a table or JSON.
func (a *app) printReseal(box *seal.Box, dryRun bool, reports []reseal.Report) error {
	if a.output == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			KeyID   string          `json:"sealing_key_id"`
			DryRun  bool            `json:"dry_run"`
			Buckets []reseal.Report `json:"buckets"`
		}{box.KeyID(), dryRun, reports})
	}
	what := "resealed under"
	if dryRun {
		what = "dry run, would reseal under"
	}
	fmt.Fprintf(a.stdout, "%s master key id %s\n", what, box.KeyID())
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	row(tw, "BUCKET", "ENTRIES", "REWRITTEN", "VALUES", "CONFLICTS", "FAILED")
	for _, r := range reports {
		row(tw, r.Bucket, strconv.Itoa(r.Entries), strconv.Itoa(r.Rewritten), strconv.Itoa(r.Values),
			strconv.Itoa(r.Conflicts), strconv.Itoa(len(r.Failed)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		for _, f := range r.Failed {
			fmt.Fprintf(a.stdout, "failed: %s/%s\n", r.Bucket, f)
		}
	}
	return nil
}
