module wakeload

go 1.25
