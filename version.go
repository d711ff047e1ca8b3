package monitehooks

// Version is the library version, sent in the User-Agent of every delivery
// as "monitehooks/<Version>".
const Version = "0.1.0"
