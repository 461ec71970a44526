module gmpcore/rwcond

go 1.22
