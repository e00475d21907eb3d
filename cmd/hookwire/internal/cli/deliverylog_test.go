package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestDeliveryLogMigrate(t *testing.T) {
	url := testkit.StartPostgres(t).NewDatabase(t)
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("deliverylog", "migrate", "--url", url); code != exitOK || !strings.Contains(out, "applied 0001_deliveries") {
		t.Fatalf("first migrate: exit %d, %q", code, out)
	}
	t.Setenv("HOOKWIRE_DELIVERY_LOG_URL", url)
	if code, out := run("deliverylog", "migrate"); code != exitOK || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate (URL from the environment): exit %d, %q", code, out)
	}
	t.Setenv("HOOKWIRE_DELIVERY_LOG_URL", "")
	if code, out := run("deliverylog", "migrate"); code != exitUsage || !strings.Contains(out, "HOOKWIRE_DELIVERY_LOG_URL") {
		t.Fatalf("migrate without a URL: exit %d, %q", code, out)
	}
	secret := "postgres://hookwire:s3cr3t-pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
	if code, out := run("deliverylog", "migrate", "--url", secret); code != exitError || strings.Contains(out, "s3cr3t-pw") {
		t.Fatalf("migrate to nowhere: exit %d, %q (the password must not be shown)", code, out)
	}
}
