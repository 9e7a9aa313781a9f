package corefile

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"default", mustRender(t, DefaultOptions()), ""},
		{"unknown directive", "consul.:53 {\n  consulnode\n  kubernetes\n}\n", "kubernetes"},
		{"unclosed block", "consul.:53 {\n  consulnode\n", "Corefile"},
		{"empty", "  \n", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate("Corefile", []byte(tt.in))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}
