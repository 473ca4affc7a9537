package clickstore_test

import (
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestEvidenceContract runs the evidence contract (contract.RunEvidence)
// on a ClickHouse store.
func TestEvidenceContract(t *testing.T) {
	contract.RunEvidence(t, contract.ClickHouse(t, ""))
}
