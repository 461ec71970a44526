//go:build alltrack

package main

import _ "unsafe" // for go:linkname

// Built with -tags alltrack -ldflags=-checklinkname=0, the runtime tracks
// every runnable->running episode that follows a run, instead of one in
// gTrackingPeriod (8): casgstatusAlwaysTrack is the runtime's own debug
// switch for its tests.  A brand-new G's first episode is still sampled one
// in 8 (newproc1 draws trackingSeq and does not look at the switch), so the
// count is complete for long-lived goroutines (pool, pingpong) but not for a
// fan-out of fresh ones; a recycled G that exited while tracked keeps
// tracking into its next life (newproc1 never clears it), so those are all
// counted.  The same carry-over makes Go's ordinary sampling take a recycled
// G's first episode with probability 1/8 + 7/8 * 1/8 = 15/64, not 1/8.
//
//go:linkname casgstatusAlwaysTrack runtime.casgstatusAlwaysTrack
var casgstatusAlwaysTrack bool

func init() { alwaysTrack = func() { casgstatusAlwaysTrack = true } }
