package report

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

func TestZZSQL(t *testing.T) {
	p := os.Getenv("HS_PERF_DB")
	q := os.Getenv("HS_SQL")
	if p == "" || q == "" {
		t.Skip()
	}
	st, err := store.Open(context.Background(), p, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, qq := range strings.Split(q, ";;") {
		s := time.Now()
		rows, err := st.DB().Query(qq)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			v := make([]any, len(cols))
			pv := make([]any, len(cols))
			for i := range v {
				pv[i] = &v[i]
			}
			rows.Scan(pv...)
			if n < 8 {
				fmt.Println(v...)
			}
			n++
		}
		fmt.Printf("%d rows in %v\n", n, time.Since(s))
	}
}
