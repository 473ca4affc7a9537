// Command memhog is a sandbox test program: it allocates and touches
// memory 16 MiB at a time, up to 512 MiB, printing its progress.
package main

import (
	"fmt"
	"os"
)

var keep [][]byte

func main() {
	for i := 1; i <= 32; i++ {
		b := make([]byte, 16<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
		fmt.Fprintf(os.Stdout, "%d\n", i*16)
	}
	fmt.Println("done")
}
