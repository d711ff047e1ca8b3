module github.com/monitehooks/monitehooks/benchmarks/stripecompat

go 1.26.0

require (
	github.com/monitehooks/monitehooks v0.0.0
	github.com/stripe/stripe-go/v82 v82.5.1
)

replace github.com/monitehooks/monitehooks => ../..
