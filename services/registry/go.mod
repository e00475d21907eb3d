module github.com/hookwire/hookwire/services/registry

go 1.26.7

require github.com/hookwire/hookwire/pkg v0.0.0

replace github.com/hookwire/hookwire/pkg => ../../pkg
