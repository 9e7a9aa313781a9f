package procstat

import (
	"os"
	"testing"
)

func TestParseRSS(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    uint64
		wantErr bool
	}{
		{"plain", "Name:\tdiscod\nVmPeak:\t  9000 kB\nVmRSS:\t   5120 kB\nThreads:\t8\n", 5120 * 1024, false},
		{"no line", "Name:\tdiscod\n", 0, true},
		{"bad unit", "VmRSS:\t 12 MB\n", 0, true},
		{"bad number", "VmRSS:\t x kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRSS([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseRSS error = %v; want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseRSS = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestRSSSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system: procstat reads Linux's /proc")
	}
	if n, err := RSS(os.Getpid()); err != nil || n == 0 {
		t.Fatalf("RSS(self) = %d, %v; want a positive size", n, err)
	}
}
