module gmpcore/machine

// go 1.25 or later: the GOMAXPROCS default follows the affinity mask and the
// cgroup CPU limit only when go.mod says so (GODEBUG containermaxprocs,
// updatemaxprocs default to 0 for older go lines).
go 1.25
