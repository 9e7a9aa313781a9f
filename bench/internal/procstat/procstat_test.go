package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		user, sys time.Duration
		wantErr   bool
	}{
		{"plain", "1234 (benchserver) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 8 0 100 0 0", 2500 * time.Millisecond, 370 * time.Millisecond, false},
		{"odd name", "1 (a) b (c)) R 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 1 0 0", 70 * time.Millisecond, 80 * time.Millisecond, false},
		{"short", "1 (x) R 1 2", 0, 0, true},
		{"no name", "garbage", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, s, err := parseStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat error = %v; want error %v", err, tt.wantErr)
			}
			if u != tt.user || s != tt.sys {
				t.Errorf("parseStat = %v, %v; want %v, %v", u, s, tt.user, tt.sys)
			}
		})
	}
}

func TestCPUTimeSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no /proc on this system (CI=true: failing instead of skipping): %v", err)
		}
		t.Skip("no /proc on this system: procstat reads Linux's /proc")
	}
	if _, _, err := CPUTime(os.Getpid()); err != nil {
		t.Fatalf("CPUTime(self): %v", err)
	}
}
