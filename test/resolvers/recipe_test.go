package resolvers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docPath is the document that quotes the recipes.
const docPath = "../../docs/resolvers.md"

// recipeFiles are the testdata files docs/resolvers.md quotes verbatim.
var recipeFiles = []string{
	"dnsmasq.conf",
	"unbound-stub.conf",
	"unbound-forward.conf",
	"named-options.conf",
	"named-zone.conf",
	"iptables.sh",
	"resolved.conf",
	"consul.negative",
	"discod-port53.service",
	"resolv.conf",
}

// recipeAgentIP is the discod address the recipes are written for.
const recipeAgentIP = "127.0.0.1"

// recipe returns the text of testdata/name.
func recipe(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read recipe: %v", err)
	}
	return string(b)
}

// recipeFor returns testdata/name with the recipe's discod address
// (127.0.0.1) replaced by ip, the one substitution the tests make.
func recipeFor(t *testing.T, name, ip string) string {
	t.Helper()
	text := recipe(t, name)
	if !strings.Contains(text, recipeAgentIP) {
		t.Fatalf("recipe %s does not mention discod's address %s", name, recipeAgentIP)
	}
	return strings.ReplaceAll(text, recipeAgentIP, ip)
}

// withoutLine returns text minus the lines containing needle (the
// recipe with one trap left unhandled), failing if there is none.
func withoutLine(t *testing.T, text, needle string) string {
	t.Helper()
	var out []string
	found := false
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, needle) {
			found = true
			continue
		}
		out = append(out, l)
	}
	if !found {
		t.Fatalf("no line containing %q in:\n%s", needle, text)
	}
	return strings.Join(out, "\n")
}

// TestDocQuotesRecipes checks that docs/resolvers.md shows every recipe
// exactly as the tests run it.
func TestDocQuotesRecipes(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range recipeFiles {
		t.Run(name, func(t *testing.T) {
			text := recipe(t, name)
			if !strings.Contains(string(doc), text) {
				t.Errorf("%s does not quote testdata/%s verbatim; it should contain:\n%s", docPath, name, text)
			}
		})
	}
}
