package monitehooks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Catalog lists the event types allowed for each object type. A Catalog is
// immutable and safe for concurrent use.
type Catalog struct {
	types map[ObjectType][]EventType
	set   map[ObjectType]map[EventType]struct{}
}

// NewCatalog builds a catalog from a map of object type to its event types.
// Names must be non-empty, without spaces, and listed once.
func NewCatalog(types map[ObjectType][]EventType) (*Catalog, error) {
	c := &Catalog{
		types: make(map[ObjectType][]EventType, len(types)),
		set:   make(map[ObjectType]map[EventType]struct{}, len(types)),
	}
	for ot, ets := range types {
		if !validName(string(ot)) {
			return nil, fmt.Errorf("monitehooks: catalog: object type %q: must be non-empty without spaces", ot)
		}
		if len(ets) == 0 {
			return nil, fmt.Errorf("monitehooks: catalog: object type %q has no event types", ot)
		}
		set := make(map[EventType]struct{}, len(ets))
		for _, et := range ets {
			if !validName(string(et)) {
				return nil, fmt.Errorf("monitehooks: catalog: %s event type %q: must be non-empty without spaces", ot, et)
			}
			if _, dup := set[et]; dup {
				return nil, fmt.Errorf("monitehooks: catalog: %s event type %q listed twice", ot, et)
			}
			set[et] = struct{}{}
		}
		c.types[ot] = slices.Clone(ets)
		c.set[ot] = set
	}
	return c, nil
}

func validName(s string) bool {
	return s != "" && len(s) <= 128 && !strings.ContainsAny(s, " \t\r\n")
}

// mustCatalog is NewCatalog for the package's own literal catalogs.
func mustCatalog(types map[ObjectType][]EventType) *Catalog {
	c, err := NewCatalog(types)
	if err != nil {
		panic(err)
	}
	return c
}

// Has reports whether et is an event type of ot.
func (c *Catalog) Has(ot ObjectType, et EventType) bool {
	_, ok := c.set[ot][et]
	return ok
}

// HasObjectType reports whether ot is in the catalog.
func (c *Catalog) HasObjectType(ot ObjectType) bool {
	_, ok := c.set[ot]
	return ok
}

// ObjectTypes returns the catalog's object types, sorted.
func (c *Catalog) ObjectTypes() []ObjectType {
	return slices.Sorted(maps.Keys(c.types))
}

// EventTypes returns the event types of ot in catalog order, or nil when ot
// is not in the catalog.
func (c *Catalog) EventTypes(ot ObjectType) []EventType {
	return slices.Clone(c.types[ot])
}

// DefaultCatalog is the seed's catalog: role, entity, comment, entity_user
// and payment.
var DefaultCatalog = mustCatalog(map[ObjectType][]EventType{
	"role":        {"created", "updated", "deleted"},
	"entity":      {"created", "updated"},
	"comment":     {"created", "updated"},
	"entity_user": {"created", "updated", "deleted"},
	"payment":     {"created", "updated"},
})

// MoniteCatalog is the catalog of Monite's current documentation, a
// superset of [DefaultCatalog].
var MoniteCatalog = mustCatalog(map[ObjectType][]EventType{
	"accounting_connection":      {"connected", "disconnected", "deauthorized", "pending_auth"},
	"approval_policy":            {"created", "deleted", "process_canceled", "updated"},
	"approval_policy_process":    {"created", "execution_error"},
	"approval_request":           {"approved", "canceled", "created", "rejected"},
	"batch_payment":              {"status_updated"},
	"comment":                    {"created", "updated", "create", "update"},
	"counterpart":                {"created", "delete", "metadata_update", "updated"},
	"counterpart_address":        {"created", "delete", "made_default", "update"},
	"counterpart_bank_account":   {"created", "delete", "update"},
	"counterpart_contact_person": {"created", "delete", "make_default", "update"},
	"counterpart_tax_id":         {"created", "delete", "update"},
	"counterpart_vat_id":         {"created", "delete", "update"},
	"delivery_note":              {"created", "updated", "delivered", "canceled", "deleted"},
	"entity": {"created", "updated", "onboarding_requirements.status_updated",
		"onboarding_requirements.updated", "payment_method.us_ach.activated",
		"payment_method.us_ach.deactivated"},
	"entity_user": {"created", "updated", "deleted"},
	"ocr_task":    {"finished"},
	"payable": {"approved", "canceled", "created_from_mail", "created", "deleted",
		"multiple_approval_policies_matched", "rejected", "ocr_finished", "paid",
		"partially_paid", "reopened", "submitted_for_approval", "updated"},
	"payable_line_item": {"created", "deleted", "updated"},
	"payment":           {"created", "updated"},
	"payment_intent":    {"status_updated"},
	"payment_link":      {"created", "status_updated"},
	"project":           {"created", "deleted", "updated"},
	"receipt":           {"created", "deleted", "updated", "ocr_finished"},
	"role":              {"created", "updated", "deleted"},
	"tag":               {"created", "deleted", "updated"},
})
