package httpapi

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-bexpr"
)

// ?filter= is evaluated with go-bexpr, the engine Consul uses, against
// each element of a list answer in the JSON shape discod sends (Node,
// CatalogService, ServiceEntry, HealthCheck): the shapes have Consul's
// field names, so Consul's selectors (Node, Meta.rack, ServiceTags,
// Service.Tags, Checks, Status...) are the same. docs/http.md lists them.

// filter is a compiled ?filter= expression.
type filter struct {
	expr string
	eval *bexpr.Evaluator
}

// newFilter compiles expr and checks it against sample, an element of the
// shape it will filter, so that a selector naming no field is refused even
// when the answer is empty.
func newFilter(expr string, sample any) (*filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	ev, err := bexpr.CreateEvaluator(expr)
	if err != nil {
		//lint:ignore ST1005 Consul's own words, which clients and users grep for
		return nil, fmt.Errorf("Failed to create boolean expression evaluator: filter %q: %s", expr, oneLine(err.Error()))
	}
	f := &filter{expr: expr, eval: ev}
	if _, err := f.match(sample); err != nil {
		return nil, err
	}
	return f, nil
}

// match reports whether v satisfies the filter; a nil filter matches all.
func (f *filter) match(v any) (bool, error) {
	if f == nil {
		return true, nil
	}
	ok, err := f.eval.Evaluate(v)
	if err != nil {
		return false, &queryError{fmt.Sprintf("filter %q: %s", f.expr, oneLine(err.Error()))}
	}
	return ok, nil
}

// filterList returns the elements of in that satisfy f, in order.
func filterList[T any](f *filter, in []T) ([]T, error) {
	if f == nil {
		return in, nil
	}
	out := make([]T, 0, len(in))
	for i := range in {
		ok, err := f.match(&in[i])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, in[i])
		}
	}
	return out, nil
}

// oneLine folds a multi-line parser message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
