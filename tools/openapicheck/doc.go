// Package openapicheck checks the OpenAPI document that package httpapi
// serves with an OpenAPI 3.1 validator written by others
// (github.com/pb33f/libopenapi-validator): the document against the
// OpenAPI 3.1 schema, and real answers of the API and real deliveries
// against the document. It is a module of its own, so that the library
// never depends on the validator; CI runs its tests (.ci/run).
package openapicheck
