package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/clickstore"
)

// EnvClickHouse names the server the ClickHouse tests use:
// clickhouse://127.0.0.1:PORT/DB (.ci/run starts one and sets it).
const EnvClickHouse = "HONEYSCOPE_CLICKHOUSE"

// ClickHouseURL returns a URL of a fresh database on the server
// $HONEYSCOPE_CLICKHOUSE names, or skips the test when it is unset.
func ClickHouseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvClickHouse)
	if base == "" {
		t.Skip("$" + EnvClickHouse + " is not set (clickhouse://127.0.0.1:PORT/DB of a test server; .ci/run starts one)")
	}
	var b [6]byte
	rand.Read(b[:])
	i := strings.LastIndex(base, "/")
	if i < len(clickstore.Scheme) {
		base += "/"
		i = len(base) - 1
	}
	return base[:i+1] + "honeyscope_test_" + hex.EncodeToString(b[:])
}

// ClickHouse opens a fresh ClickHouse store (dropped at the end of the
// test), or skips the test when no server is configured or reachable.
func ClickHouse(t testing.TB, tz string) *clickstore.Store {
	t.Helper()
	url := ClickHouseURL(t)
	st, err := clickstore.Open(context.Background(), url, clickstore.Options{TimeZone: tz})
	if err != nil {
		if strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "dial") {
			t.Skipf("ClickHouse server of $%s unreachable: %v", EnvClickHouse, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Drop(context.Background())
		st.Close()
	})
	return st
}
