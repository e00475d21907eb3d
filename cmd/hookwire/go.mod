module github.com/hookwire/hookwire/cmd/hookwire

go 1.26.7

require (
	github.com/hookwire/hookwire/pkg v0.0.0
	github.com/hookwire/hookwire/services/dispatcher v0.0.0
	github.com/hookwire/hookwire/services/ingest v0.0.0
	github.com/hookwire/hookwire/services/registry v0.0.0
)

replace (
	github.com/hookwire/hookwire/pkg => ../../pkg
	github.com/hookwire/hookwire/services/dispatcher => ../../services/dispatcher
	github.com/hookwire/hookwire/services/ingest => ../../services/ingest
	github.com/hookwire/hookwire/services/registry => ../../services/registry
)
