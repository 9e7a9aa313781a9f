package chaos

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/discod/discod/internal/testproc"
)

var (
	flagDuration = flag.Duration("duration", 0, "length of the fault schedule (0: about 100s, or 10m with DISCOD_CHAOS set)")
	flagSeed     = flag.Int64("seed", 0, "seed of the schedule (0: a new one, printed)")
	flagFaults   = flag.String("faults", "", "only the fault kinds whose names contain one of these comma-separated words (e.g. \"truncated,new address\")")
	flagDCs      = flag.Int("dcs", 2, "datacenters: 1 (six agents) or 2 (three more agents in dc2, federated over the WAN pool)")
	flagRace     = flag.Bool("race-agents", true, "build the agents with -race and fail on a DATA RACE in their logs")
)

// discodBin is the binary under test, built once by TestMain.
var discodBin string

func TestMain(m *testing.M) {
	flag.Parse()
	var build []string
	if *flagRace {
		build = append(build, "-race")
	}
	bin, err := testproc.BuildDiscodFlags("../../cmd/discod", build...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	discodBin = bin
	release, err := testproc.Serialize()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	release()
	_ = os.RemoveAll(filepath.Dir(bin))
	os.Exit(code)
}
