module gmpcore/fanout

go 1.22
