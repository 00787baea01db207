package stats

// Point is one candidate on the quality/cost plane: a model or a variant,
// where higher Quality (pass rate, score) is better and lower Cost (latency,
// memory) is better.
type Point struct {
	Label   string  `json:"label"`
	Quality float64 `json:"quality"`
	Cost    float64 `json:"cost"`
}

// Frontier is the outcome of Pareto: the labels nobody beats, in input order,
// and for each beaten label the labels that beat it, in input order.
type Frontier struct {
	Optimal     []string            `json:"optimal"`
	DominatedBy map[string][]string `json:"dominated_by"`
}

// Pareto splits points into the Pareto-optimal ones and the dominated ones.
// q dominates p when q.Quality >= p.Quality and q.Cost <= p.Cost with at
// least one of them strict; identical points therefore do not dominate each
// other. Labels are expected to be unique. Both fields of the result are
// non-nil, even for no points.
func Pareto(points []Point) Frontier {
	f := Frontier{Optimal: []string{}, DominatedBy: map[string][]string{}}
	for i, p := range points {
		var by []string
		for j, q := range points {
			if i != j && dominates(q, p) {
				by = append(by, q.Label)
			}
		}
		if by == nil {
			f.Optimal = append(f.Optimal, p.Label)
		} else {
			f.DominatedBy[p.Label] = by
		}
	}
	return f
}

// dominates reports whether q is at least as good as p on both axes and
// strictly better on one.
func dominates(q, p Point) bool {
	return q.Quality >= p.Quality && q.Cost <= p.Cost &&
		(q.Quality > p.Quality || q.Cost < p.Cost)
}
