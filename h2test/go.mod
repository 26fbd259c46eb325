module github.com/hybi/ws/h2test

go 1.26.0

replace github.com/hybi/ws => ../

require (
	github.com/hybi/ws v0.0.0-00010101000000-000000000000
	golang.org/x/net v0.62.0
)

require golang.org/x/text v0.43.0 // indirect
