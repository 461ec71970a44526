module gmpcore/mutex

go 1.22
