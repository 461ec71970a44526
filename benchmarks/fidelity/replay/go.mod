module replayprog

go 1.25
