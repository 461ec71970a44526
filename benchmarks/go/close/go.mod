module closebench

go 1.25
