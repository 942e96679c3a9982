// Module tools pins the developer tools CI runs, apart from the main
// module so their dependencies never change what Callhooks links.
module github.com/callhooks/callhooks/tools

go 1.26

require go.temporal.io/sdk/contrib/tools/workflowcheck v0.6.0

require (
	golang.org/x/mod v0.30.0 // indirect
	golang.org/x/sync v0.19.0 // indirect
	golang.org/x/tools v0.39.0 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
)
