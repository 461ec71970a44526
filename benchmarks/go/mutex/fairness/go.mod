module gmpcore/mutexfairness

go 1.22
