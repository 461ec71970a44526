module gmpcore/condwake

go 1.25
