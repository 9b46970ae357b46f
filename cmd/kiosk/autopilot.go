package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"kofu/protocol"
)

// autopilotDoc is the document the autopilot asks for: --doc, with each
// --opt KEY=VALUE set and checked as the center would, and --members, the
// places (1-based, as the members screen numbers them) the autopilot
// ticks on the household list released after the PIN, which asks for
// 世帯の一部 (scope members). The places are returned 0-based; nil
// without --members (the autopilot then lists the card's holder alone).
func autopilotDoc(docType string, opts []string, members string) (protocol.DocSpec, []int, error) {
	doc, err := protocol.NewDocSpec(protocol.DocType(docType))
	if err != nil {
		return doc, nil, err
	}
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k == "" || v == "" {
			return doc, nil, fmt.Errorf("--opt %q: want KEY=VALUE, e.g. --opt zokugara=include", o)
		}
		if _, known := doc.Opt(k); !known {
			return doc, nil, fmt.Errorf("--opt %q: %s has no option %q", o, doc.Type, k)
		}
		doc.Opts[k] = v
	}
	var chosen []int
	if members != "" {
		if _, known := doc.Opt("scope"); !known {
			return doc, nil, fmt.Errorf("--members: %s lists no household members (only the 住民票 does)", doc.Type)
		}
		if s := doc.Opts["scope"]; s != protocol.ScopeMembers && s != "self" {
			return doc, nil, fmt.Errorf("--members with --opt scope=%s: the members are chosen with scope %s", s, protocol.ScopeMembers)
		}
		doc.Opts["scope"] = protocol.ScopeMembers
		seen := map[int]bool{}
		for _, f := range strings.Split(members, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > protocol.MaxMembers {
				return doc, nil, fmt.Errorf("--members %q: want places on the household list, 1 to %d, e.g. 1,3", members, protocol.MaxMembers)
			}
			if seen[n] {
				return doc, nil, fmt.Errorf("--members %q: place %d given twice", members, n)
			}
			seen[n] = true
			chosen = append(chosen, n-1)
		}
	}
	// The members themselves are chosen after the PIN: an order names none.
	if err := doc.Validate(); err != nil && !errors.Is(err, protocol.ErrMembersNotChosen) {
		return doc, nil, fmt.Errorf("--doc %s: %w", doc.Type, err)
	}
	return doc, chosen, nil
}
