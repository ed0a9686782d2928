#!/usr/bin/env bash
# Adds a migration to both providers' sets with dotnet-ef, for the registry or the portal context.
#   scripts/add-migration.sh registry|portal Name [SQLITE_ID]
# The SQLite migration keeps the id SQLITE_ID (14 digits, e.g. 20261223000001) when given; the PostgreSQL one keeps
# the timestamp dotnet-ef gives it. Both model snapshots are updated, and both compiled models regenerated
# (scripts/compile-models.sh). See docs/development.md.
set -euo pipefail
cd "$(dirname "$0")/.."
context=${1:?registry or portal}; name=${2:?migration name}; sqlite_id=${3:-}

case "$context" in
  registry) sqlite_project=src/RegistryCore; sqlite_dir=Metadata/Migrations; pg_project=src/RegistryCore.PostgreSql; type=RegistryDbContext ;;
  portal)   sqlite_project=src/Portal.Data;  sqlite_dir=Migrations;          pg_project=src/Portal.Data.PostgreSql;  type=PortalDbContext ;;
  *) echo "context must be registry or portal" >&2; exit 2 ;;
esac

dotnet tool restore >/dev/null
scripts/compile-models.sh --clean "$context"  # a stale compiled model may not build against the changed model
dotnet ef migrations add "$name" --project "$sqlite_project" --startup-project "$sqlite_project" \
  --context "$type" --output-dir "$sqlite_dir" --configuration Release
dotnet ef migrations add "$name" --project "$pg_project" --startup-project "$pg_project" \
  --context "$type" --output-dir Migrations --configuration Release

if [ -n "$sqlite_id" ]; then
  for file in "$sqlite_project/$sqlite_dir"/[0-9]*_"$name".cs "$sqlite_project/$sqlite_dir"/[0-9]*_"$name".Designer.cs; do
    generated=$(basename "$file" | cut -d_ -f1)
    [ "$generated" = "$sqlite_id" ] && continue
    sed -i "s/${generated}_${name}/${sqlite_id}_${name}/" "$file"
    mv "$file" "$(dirname "$file")/$(basename "$file" | sed "s/^${generated}_/${sqlite_id}_/")"
  done
fi
scripts/compile-models.sh "$context"
echo "added $name to $sqlite_project/$sqlite_dir and $pg_project/Migrations"
