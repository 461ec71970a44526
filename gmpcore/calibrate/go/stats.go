package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// Result is one measurement: either a set of per-trial ns/op values
// (Kind "trials") or a set of individual latency samples (Kind "samples").
type Result struct {
	Name        string    `json:"name"`
	GOMAXPROCS  int       `json:"gomaxprocs"`
	Kind        string    `json:"kind"`
	Unit        string    `json:"unit"`
	N           int       `json:"n"`             // number of trials or samples
	OpsPerTrial int       `json:"ops_per_trial"` // for Kind "trials"
	Median      float64   `json:"median"`
	Mean        float64   `json:"mean"`
	Min         float64   `json:"min"`
	Max         float64   `json:"max"`
	P10         float64   `json:"p10"`
	P90         float64   `json:"p90"`
	Note        string    `json:"note,omitempty"`
	ForeignCPUs float64   `json:"foreign_cpus"`     // CPUs used by other processes during the measurement
	Values      []float64 `json:"values,omitempty"` // trials only (samples are summarised)
}

var results []Result

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return sorted[lo]*(1-frac) + sorted[hi]*frac
}

func summarize(name string, procs int, kind, unit string, vals []float64, opsPerTrial int, note string) Result {
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	r := Result{Name: name, GOMAXPROCS: procs, Kind: kind, Unit: unit, N: len(s), OpsPerTrial: opsPerTrial, Note: note}
	if len(s) > 0 {
		r.Median = quantile(s, 0.5)
		r.Mean = sum / float64(len(s))
		r.Min = s[0]
		r.Max = s[len(s)-1]
		r.P10 = quantile(s, 0.1)
		r.P90 = quantile(s, 0.9)
	}
	if kind == "trials" {
		r.Values = vals
	}
	return r
}

// recordTrials records per-trial ns/op values.
func recordTrials(name string, procs int, vals []float64, opsPerTrial int, note string) Result {
	r := summarize(name, procs, "trials", "ns/op", vals, opsPerTrial, note)
	r.ForeignCPUs = lastMark.foreignCPUs()
	lastMark = markLoad()
	results = append(results, r)
	printResult(r)
	return r
}

// recordSamples records individual latency samples (ns).
func recordSamples(name string, procs int, vals []float64, note string) Result {
	r := summarize(name, procs, "samples", "ns", vals, 0, note)
	r.ForeignCPUs = lastMark.foreignCPUs()
	lastMark = markLoad()
	results = append(results, r)
	printResult(r)
	return r
}

// recordValue records a single derived or counted value.
func recordValue(name string, procs int, unit string, v float64, note string) {
	r := Result{Name: name, GOMAXPROCS: procs, Kind: "value", Unit: unit, N: 1, Median: v, Mean: v, Min: v, Max: v, P10: v, P90: v, Note: note}
	r.ForeignCPUs = lastMark.foreignCPUs()
	lastMark = markLoad()
	results = append(results, r)
	printResult(r)
}

func fmtNs(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.Abs(v) >= 1e6:
		return fmt.Sprintf("%.3fms", v/1e6)
	case math.Abs(v) >= 1e4:
		return fmt.Sprintf("%.2fµs", v/1e3)
	default:
		return fmt.Sprintf("%.1fns", v)
	}
}

func printResult(r Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s P=%d ", r.Name, r.GOMAXPROCS)
	switch r.Kind {
	case "trials":
		fmt.Fprintf(&b, "median %s/op  [min %s, max %s]  trials=%d ops/trial=%d",
			fmtNs(r.Median), fmtNs(r.Min), fmtNs(r.Max), r.N, r.OpsPerTrial)
	case "samples":
		fmt.Fprintf(&b, "median %s  [p10 %s, p90 %s, max %s] mean %s  samples=%d",
			fmtNs(r.Median), fmtNs(r.P10), fmtNs(r.P90), fmtNs(r.Max), fmtNs(r.Mean), r.N)
	default:
		if r.Unit == "ns" || r.Unit == "ns/op" {
			fmt.Fprintf(&b, "%s", fmtNs(r.Median))
		} else {
			fmt.Fprintf(&b, "%.6g %s", r.Median, r.Unit)
		}
	}
	if r.ForeignCPUs > 0.2 {
		fmt.Fprintf(&b, "  !! other processes used %.2f CPUs meanwhile", r.ForeignCPUs)
	}
	if r.Note != "" {
		fmt.Fprintf(&b, "  # %s", r.Note)
	}
	fmt.Println(b.String())
}

func writeJSON(path string, meta map[string]any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	return enc.Encode(map[string]any{"meta": meta, "results": results})
}
