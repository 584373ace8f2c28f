#!/usr/bin/env bash
# The rewrites of issue 14, done as an outside auditor with database access would, against a
# running `bizreg serve` on PostgreSQL, and what catches each one.
#
#   docs/log-rewrites.sh PSQL_URL BASE_URL USCC
#     PSQL_URL  e.g. postgresql://postgres@127.0.0.1:5432/bizreg (the service's database)
#     BASE_URL  e.g. http://127.0.0.1:8123 (the service; the monitor reads only /log/…)
#     USCC      a licence issued through the service, revoked beforehand by the registrar
#
# Run it with BIZREG_DATABASE_URL and BIZREG_DATA_DIR set as for the service. The same steps
# run in tests/log/test_rewrites.py on every CI run.
set -euo pipefail
psql_url=$1 base=$2 uscc=$3
state=$(mktemp -d)/monitor.json
sql() { psql "$psql_url" -v ON_ERROR_STOP=1 -qtAc "$1"; }

bizreg log checkpoint
bizreg log monitor --url "$base" --state "$state"      # the regulator's first look
bizreg audit verify                                      # consistent

licence=$(sql "SELECT id FROM licence WHERE uscc = '$uscc' ORDER BY version DESC LIMIT 1")
application=$(sql "SELECT application_id FROM licence WHERE id = '$licence'")
echo "== approval's actor and time edited"
sql "UPDATE application_event SET actor = 'back-office-7', at = at - interval '1 day'
     WHERE application_id = '$application' AND action = 'approve'"
echo "== accept event deleted"
sql "DELETE FROM application_event WHERE application_id = '$application' AND action = 'accept'"
echo "== revoked licence set back to active, its events deleted"
sql "DELETE FROM licence_event WHERE licence_id = '$licence'"
sql "UPDATE licence SET status = 'active', status_reason = NULL, status_changed_at = NULL
     WHERE id = '$licence'"
echo "== licence.sha256 changed"
sql "UPDATE licence SET sha256 = repeat('ab', 32) WHERE id = '$licence'"

echo "== bizreg audit verify (names each row; exits 1)"
bizreg audit verify || echo "audit verify exit code $?"
echo "== online verification of the genuine PDF answers registry_inconsistent"
echo "   (POST the licence to $base/api/v1/verify)"

echo "== the thorough forger also rewrites the log to match and deletes the checkpoints"
sql "DELETE FROM log_checkpoint"
echo "   (recomputing leaves needs the salts: tests/log/test_rewrites.py::_rewrite_log_to_match)"
echo "== after the service signs the rewritten history, the monitor names the rewritten leaves"
bizreg log monitor --url "$base" --state "$state" || echo "monitor exit code $?"
