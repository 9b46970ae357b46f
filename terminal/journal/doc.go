// Package journal is the kiosk's append-only, hash-chained, fsynced record
// of every session's states and outcome (DESIGN §7). It holds no personal
// data: no PIN, name, address or document image; cards only as keyed hashes.
// On open it verifies the chain and reports sessions left unfinished.
//
// The journal fails closed and heals. An append whose write or fsync fails
// (disk full, file size limit, I/O error) is undone — the file is cut back
// to the last committed record — and the journal is failed: every later
// Append, and Healthy (which the kiosk's gate polls, so it goes out of
// service), returns an *ErrFailed until a probe commits a repair record;
// nothing is ever written after uncommitted bytes. A torn last line left
// by a crash or a failed write never blocks the next start: Open cuts it
// and records the cut, while a bad line anywhere else is still corruption.
package journal
