module gmpcore/costs

go 1.22
