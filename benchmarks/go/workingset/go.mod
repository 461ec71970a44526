module workingset

go 1.25
