module gmpcore/rtstart

go 1.25
