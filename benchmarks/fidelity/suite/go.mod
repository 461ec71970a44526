module gmpcore/fidelitysuite

go 1.25
