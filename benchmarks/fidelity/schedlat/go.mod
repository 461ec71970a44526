module gmpcore/schedlat

go 1.22
