package main

// A minimal reader for the gzipped protobuf profiles written by
// runtime/pprof, used to split a measured total (e.g. one channel handoff)
// into the runtime functions that the CPU time was spent in.  Standard
// library only: the protobuf wire format is decoded by hand.

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"
)

type profSample struct {
	frames []string // function names, leaf first (inlined frames expanded)
	cpuNs  int64
}

type cpuProf struct {
	samples []profSample
	totalNs int64
	count   int64 // number of profiling signals (sum of value[0])
	period  int64 // ns per sample as written in the profile
}

func pbVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

// pbFields calls fn for each field of a message: wire type 0 gives v,
// wire type 2 gives the bytes; fixed32/fixed64 are skipped.
func pbFields(b []byte, fn func(num int, wt int, v uint64, data []byte)) error {
	for len(b) > 0 {
		key, n := pbVarint(b)
		if n < 0 {
			return fmt.Errorf("bad varint")
		}
		b = b[n:]
		num, wt := int(key>>3), int(key&7)
		switch wt {
		case 0:
			v, n := pbVarint(b)
			if n < 0 {
				return fmt.Errorf("bad varint")
			}
			b = b[n:]
			fn(num, wt, v, nil)
		case 1:
			b = b[8:]
		case 2:
			l, n := pbVarint(b)
			if n < 0 || int(l) > len(b)-n {
				return fmt.Errorf("bad length")
			}
			fn(num, wt, 0, b[n:n+int(l)])
			b = b[n+int(l):]
		case 5:
			b = b[4:]
		default:
			return fmt.Errorf("wire type %d", wt)
		}
	}
	return nil
}

// pbRepeated collects a repeated integer field (packed or not).
func pbRepeated(dst *[]uint64, wt int, v uint64, data []byte) {
	if wt == 0 {
		*dst = append(*dst, v)
		return
	}
	for len(data) > 0 {
		x, n := pbVarint(data)
		if n < 0 {
			return
		}
		*dst = append(*dst, x)
		data = data[n:]
	}
}

func parseProfile(gz []byte) (*cpuProf, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var strs []string
	var period int64
	type rawSample struct{ locs, vals []uint64 }
	var raws []rawSample
	locFuncs := map[uint64][]uint64{} // location id -> function ids (innermost first)
	funcName := map[uint64]uint64{}   // function id -> string index
	err = pbFields(data, func(num, wt int, v uint64, d []byte) {
		switch num {
		case 2: // sample
			var s rawSample
			pbFields(d, func(num, wt int, v uint64, d []byte) {
				switch num {
				case 1:
					pbRepeated(&s.locs, wt, v, d)
				case 2:
					pbRepeated(&s.vals, wt, v, d)
				}
			})
			raws = append(raws, s)
		case 4: // location
			var id uint64
			var fns []uint64
			pbFields(d, func(num, wt int, v uint64, d []byte) {
				switch num {
				case 1:
					id = v
				case 4: // line
					pbFields(d, func(num, wt int, v uint64, d []byte) {
						if num == 1 {
							fns = append(fns, v)
						}
					})
				}
			})
			locFuncs[id] = fns
		case 5: // function
			var id, name uint64
			pbFields(d, func(num, wt int, v uint64, d []byte) {
				switch num {
				case 1:
					id = v
				case 2:
					name = v
				}
			})
			funcName[id] = name
		case 6:
			strs = append(strs, string(d))
		case 12:
			period = int64(v)
		}
	})
	if err != nil {
		return nil, err
	}
	p := &cpuProf{period: period}
	for _, r := range raws {
		var s profSample
		for _, l := range r.locs {
			for _, f := range locFuncs[l] {
				if idx := funcName[f]; int(idx) < len(strs) {
					s.frames = append(s.frames, strs[idx])
				}
			}
		}
		if len(r.vals) >= 2 {
			s.cpuNs = int64(r.vals[1])
			p.count += int64(r.vals[0])
		}
		p.totalNs += s.cpuNs
		p.samples = append(p.samples, s)
	}
	return p, nil
}

// profileHz is the CPU profiling rate used for the splits.
const profileHz = 1000

// cpuProfile runs f under the CPU profiler and returns the parsed profile.
func cpuProfile(f func()) (*cpuProf, error) {
	var buf bytes.Buffer
	// A higher rate than pprof's default 100 Hz; StartCPUProfile then prints
	// a harmless "cannot set cpu profile rate" warning and keeps this rate.
	runtime.SetCPUProfileRate(profileHz)
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, err
	}
	f()
	pprof.StopCPUProfile()
	return parseProfile(buf.Bytes())
}

// marker maps a function name to a bucket.  A name ending in "*" is a prefix.
type marker struct{ fn, bucket string }

// split attributes each sample to a bucket and returns CPU ns per bucket:
// an inclusive marker (bucket "!name") anywhere on the stack wins (first in
// list order); otherwise the frame nearest the leaf that matches a marker
// decides ("other" if none).
func (p *cpuProf) split(markers []marker) map[string]int64 {
	out := map[string]int64{}
	match := func(m marker, f string) bool {
		return m.fn == f || (strings.HasSuffix(m.fn, "*") && strings.HasPrefix(f, strings.TrimSuffix(m.fn, "*")))
	}
	for _, s := range p.samples {
		b := ""
		// Inclusive markers (bucket "!name") claim every sample below them.
	incl:
		for _, m := range markers {
			if !strings.HasPrefix(m.bucket, "!") {
				continue
			}
			for _, f := range s.frames {
				if match(m, f) {
					b = m.bucket[1:]
					break incl
				}
			}
		}
		if b == "" {
			b = "other"
		frames:
			for _, f := range s.frames {
				for _, m := range markers {
					if !strings.HasPrefix(m.bucket, "!") && match(m, f) {
						b = m.bucket
						break frames
					}
				}
			}
		}
		out[b] += s.cpuNs
	}
	return out
}

// recordSplit records, for each bucket, its share of the profile's samples
// times the measured wall ns per op.  Only the shares are used: the kernel
// delivers CPU-profiling signals at most once per tick (CONFIG_HZ), so the
// requested rate (and the period written in the profile) may not be the
// effective one.  Valid when one thread is busy (GOMAXPROCS=1, CPU-bound).
func recordSplit(prefix string, procs int, p *cpuProf, markers []marker, ops int64, wall time.Duration) map[string]float64 {
	sp := p.split(markers)
	keys := make([]string, 0, len(sp))
	for k := range sp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wallPerOp := float64(wall.Nanoseconds()) / float64(ops)
	recordValue(prefix+".total", procs, "ns", wallPerOp,
		fmt.Sprintf("wall ns/op of the profiled run; %d samples in %.1f s (effective %.0f Hz)",
			p.count, wall.Seconds(), float64(p.count)/wall.Seconds()))
	perOp := map[string]float64{}
	for _, k := range keys {
		frac := float64(sp[k]) / float64(p.totalNs)
		perOp[k] = frac * wallPerOp
		recordValue(prefix+"."+k, procs, "ns", perOp[k], fmt.Sprintf("%.1f%% of samples", 100*frac))
	}
	return perOp
}
