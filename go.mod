module github.com/gosnoop/gosnoop

go 1.22

require (
	github.com/iovisor/gobpf v0.2.1-0.20221005153822-16120a1bf4d4
	github.com/urfave/cli/v2 v2.27.7
)

require (
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
)
