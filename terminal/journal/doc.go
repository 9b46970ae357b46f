// Package journal is the kiosk's append-only, hash-chained, fsynced record
// of every session's states and outcome (DESIGN §7). It holds no personal
// data: no PIN, name, address or document image; cards only as keyed hashes.
// On open it verifies the chain and reports sessions left unfinished.
package journal
