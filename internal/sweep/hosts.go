package sweep

import (
	"fmt"
	"strings"

	"github.com/benchmcp/benchmcp/internal/bench"
)

// Spread assigns every cell that has no host to one of hosts that has its
// model. A model's cells go to one host together, so that their speeds are
// measured on the same machine and comparable; models go, largest first, to
// the host with the fewest cells so far. has reports whether a host has a
// model installed. A model no host has is refused, naming the hosts asked.
func Spread(cells []Cell, hosts []string, has func(host, model string) bool) error {
	if len(hosts) == 0 {
		return nil
	}
	count := map[string]int{} // cells per model, for the unassigned cells
	var models []string
	for _, c := range cells {
		if c.Host != "" {
			continue
		}
		if count[c.Model] == 0 {
			models = append(models, c.Model)
		}
		count[c.Model]++
	}
	load := map[string]int{}
	for _, c := range cells {
		if c.Host != "" {
			load[c.Host]++
		}
	}
	// Largest first; ties keep the order of first appearance.
	order := append([]string(nil), models...)
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && count[order[j]] > count[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	assigned := map[string]string{}
	var missing []string
	for _, m := range order {
		best := ""
		for _, h := range hosts {
			if has(h, m) && (best == "" || load[h] < load[best]) {
				best = h
			}
		}
		if best == "" {
			missing = append(missing, m)
			continue
		}
		assigned[m] = best
		load[best] += count[m]
	}
	if len(missing) > 0 {
		return fmt.Errorf("no host of %s has %s; pull it on one of them (ollama pull <model>) or leave it out", strings.Join(hosts, ", "), strings.Join(missing, ", "))
	}
	for i := range cells {
		if cells[i].Host == "" {
			cells[i].Host = assigned[cells[i].Model]
		}
	}
	return nil
}

// byHost groups sessions' indexes by the host they run on, hosts in order
// of first appearance.
func byHost(sessions []*bench.Session) (hosts []string, idx map[string][]int) {
	idx = map[string][]int{}
	for i, s := range sessions {
		h := s.Run().Host
		if _, ok := idx[h]; !ok {
			hosts = append(hosts, h)
		}
		idx[h] = append(idx[h], i)
	}
	return hosts, idx
}
