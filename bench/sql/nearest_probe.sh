#!/bin/sh
# Nearest-first communities at national scale: 110,000 communities (2,750 of them in
# Beijing, the rest in 400 other cities) in SQLite and in a PostgreSQL temporary table, with the index
# of m20261204_000009 (lat, lng, street_id, id); the plan and the time of the bounding-box
# query the service sends (2 km first reach, 50 km default radius) next to a full scan.
# Usage: bench/sql/nearest_probe.sh [postgres-url]   (needs sqlite3 and psql; drops nothing)
set -eu
PG=${1:-postgres://postgres@127.0.0.1:5432/test}
DB=$(mktemp -d)/nearest.sqlite

# Rows: every 40th community in Beijing (2,750), the others in 400 cities centred at
# pseudo-random points of China; each within about 15 km of its city's centre.
ROWS="
SELECT n.i, 1 + n.i % 50, 'c' || n.i,
  CASE WHEN n.i % 40 = 0 THEN 39.9042 ELSE 22 + (n.i % 400) * 7919 % 2500 / 100.0 END
    + ((n.i * 17389) % 3001 - 1500) / 10000.0,
  CASE WHEN n.i % 40 = 0 THEN 116.4074 ELSE 100 + (n.i % 400) * 6007 % 2400 / 100.0 END
    + ((n.i * 7507) % 3001 - 1500) / 10000.0"
BOX2="lat BETWEEN 39.886214 AND 39.922186 AND lng BETWEEN 116.38395 AND 116.43085"
BOX50="lat BETWEEN 39.454500 AND 40.353900 AND lng BETWEEN 115.82120 AND 116.99360"
Q="SELECT id, lat, lng FROM communities WHERE"

echo "== SQLite $(sqlite3 --version | cut -d' ' -f1)"
sqlite3 "$DB" <<SQL
CREATE TABLE communities (id INTEGER PRIMARY KEY, street_id BIGINT NOT NULL, name TEXT NOT NULL,
  lat DOUBLE NOT NULL, lng DOUBLE NOT NULL, checkin_radius_m INTEGER NOT NULL DEFAULT 300,
  boundary TEXT, pickup_address TEXT, pickup_hours TEXT);
INSERT INTO communities (id, street_id, name, lat, lng)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 110000) $ROWS FROM n;
CREATE INDEX ix_communities_position ON communities (lat, lng, street_id, id);
ANALYZE;
SELECT 'rows', COUNT(*) FROM communities;
SELECT 'in 2 km box', COUNT(*) FROM communities WHERE $BOX2;
SELECT 'in 50 km box', COUNT(*) FROM communities WHERE $BOX50;
EXPLAIN QUERY PLAN $Q $BOX2;
EXPLAIN QUERY PLAN $Q $BOX50;
.timer on
SELECT '2 km box, index', COUNT(*) FROM ($Q $BOX2);
SELECT '50 km box, index', COUNT(*) FROM ($Q $BOX50);
SELECT 'full scan', COUNT(*) FROM (SELECT id, lat, lng FROM communities NOT INDEXED WHERE $BOX50);
SQL
rm -r "$(dirname "$DB")"

echo "== PostgreSQL"
psql -q -X "$PG" <<SQL
CREATE TEMP TABLE communities (id BIGINT PRIMARY KEY, street_id BIGINT NOT NULL, name TEXT NOT NULL,
  lat DOUBLE PRECISION NOT NULL, lng DOUBLE PRECISION NOT NULL,
  checkin_radius_m INTEGER NOT NULL DEFAULT 300, boundary TEXT, pickup_address TEXT,
  pickup_hours TEXT);
INSERT INTO communities (id, street_id, name, lat, lng) $ROWS FROM generate_series(1, 110000) AS n(i);
CREATE INDEX ix_communities_position ON communities (lat, lng, street_id, id);
VACUUM ANALYZE communities;
SELECT COUNT(*) AS in_2km_box FROM communities WHERE $BOX2;
SELECT COUNT(*) AS in_50km_box FROM communities WHERE $BOX50;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $Q $BOX2;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $Q $BOX50;
SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;
EXPLAIN (ANALYZE, COSTS OFF) $Q $BOX50;
SQL
