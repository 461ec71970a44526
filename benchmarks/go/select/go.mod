module gmpcore/select

go 1.22
