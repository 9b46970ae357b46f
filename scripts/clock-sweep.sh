#!/usr/bin/env bash
# Runs the time-sensitive tests with the test clock's base instant and the
# process time zone moved across a week and a year (issue: the suite was
# red on every weekend in Japan). Tests take "now" from
# kofu/internal/testclock, whose base KOFU_TEST_CLOCK moves; TZ moves
# time.Local. A test or code path that reads the wall clock where a
# verdict depends on it, or formats in the local zone, disagrees with the
# moved clock at some of these instants and fails on whatever day CI runs.
#
#   scripts/clock-sweep.sh            # every instant below
#   scripts/clock-sweep.sh 2027-01-01T00:00+09:00 ...
set -euo pipefail
cd "$(dirname "$0")/.."

# Instant (RFC 3339) and the time zone the test process runs in. They
# straddle the rules (weekdays in Japan, service hours, the year-end
# closure, the UTC/JST date boundary) and move time.Local around the
# globe; tests that need the service open start at the first open hour
# after each instant (testclock.Open), months away from the wall clock.
sweep=(
  "2026-12-05T10:00+09:00 Asia/Tokyo"             # Saturday in Japan
  "2026-12-04T15:30Z America/Los_Angeles"         # Friday in UTC, Saturday 00:30 in Japan
  "2026-12-31T23:30+09:00 Pacific/Kiritimati"     # 23:30 JST on a year-end closure day, UTC+14
  "2027-06-18T08:00+09:00 Europe/London"          # a summer Friday, a zone with DST
  "2027-09-30T15:00Z Pacific/Pago_Pago"           # 1 October 00:00 JST: month and quarter, UTC−11
  "now UTC"                                       # the wall clock's own instant
)
if (($#)); then
  sweep=()
  for a in "$@"; do sweep+=("$a UTC"); done
fi

# The packages whose verdicts involve the calendar, ticket and envelope
# lifetimes, the replay window or the journal's times; of the slow
# end-to-end ones, the real binary's autopilot table (戸籍 included) and
# the in-process fault matrix (paper out on page 2 of a 戸籍).
runs=(
  "./internal/testclock ./internal/clock"
  "-skip ^TestConcurrent ./protocol/center"
  "./terminal ./internal/fleet"
  "-run ^(TestRunAutopilot|TestJournalCommands)$ ./cmd/kiosk"
  "-run ^TestFaultMatrix$ ./internal/faultmatrix"
)

failed=0
for entry in "${sweep[@]}"; do
  at=${entry% *} tz=${entry##* }
  for r in "${runs[@]}"; do
    # shellcheck disable=SC2086 # $r is a list of go test arguments
    if ! out=$(KOFU_TEST_CLOCK=$at TZ=$tz go test -count=1 -timeout 10m $r 2>&1); then
      echo "clock-sweep: FAIL at $at (TZ=$tz): go test $r" >&2
      echo "$out" | tail -n 40 >&2
      failed=1
    else
      echo "clock-sweep: ok   at $at (TZ=$tz): go test $r" >&2
    fi
  done
done
exit $failed
