module gmpcore/stwflip

go 1.22
